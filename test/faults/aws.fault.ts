// Fault suite (on demand): S3 500/503 and resets mid-body at random; SQS throttling and 5xx on
// ReceiveMessage, DeleteMessageBatch and ChangeMessageVisibility.
import { afterAll, describe, expect, it } from "vitest";
import { useTestAws } from "../support/aws.ts";
import { corpus, fileOutput, Scenario } from "../support/faultHarness.ts";
import { awsError, startFaultProxy } from "../support/faultProxy.ts";
import { printOwnRows } from "../support/tally.ts";

const BUCKET = "faults-aws";

describe("fault suite: S3 and SQS errors", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it("S3: 30% of GetObjects 500 InternalError, 10% 503 SlowDown, 15% reset mid-body, for the whole run: nothing lost", async () => {
    const s = await Scenario.create(env, { name: "S3 500/503/reset at random, whole run", slug: "s3-random", bucket: BUCKET });
    const proxy = await startFaultProxy({ upstream: env.aws.endpoint, seed: 23 });
    try {
      // Incompressible lines: the gzipped objects (90 KB) are cut mid-body too.
      await s.add(corpus("s3r", 30, 2500, { lineBytes: 80, incompressible: true }), { perMessage: 3 });
      const get = { service: "s3", method: "GET", path: "/s3r/" } as const;
      const reset = proxy.add({ ...get, name: "reset", fault: { kind: "reset-after", bytes: 60_000 }, probability: 0.15 });
      const e500 = proxy.add({ ...get, name: "500", fault: awsError(500, "InternalError"), probability: 0.3 });
      const e503 = proxy.add({ ...get, name: "503", fault: awsError(503, "SlowDown"), probability: 0.1 });
      const out = `${s.dir}/out`;
      const d = s.start(await s.config({ s3: proxy.endpoint, output: fileOutput(out) }));
      await s.waitDrained(120_000);
      expect((await d.stop()).code).toBe(0);
      const { tally } = s.finish(await s.fileMessages(out), `${reset.hits} resets, ${e500.hits}×500, ${e503.hits}×503`);
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
      expect(reset.hits * e500.hits * e503.hits).toBeGreaterThan(0);
    } finally {
      await s.cleanup();
      await proxy.stop();
    }
  });

  it("SQS: ReceiveMessage throttled and 5xx, DeleteMessageBatch and ChangeMessageVisibility 5xx, for the whole run: nothing lost", async () => {
    const s = await Scenario.create(env, { name: "SQS throttling + 5xx (receive, delete, visibility)", slug: "sqs-random", bucket: BUCKET });
    const proxy = await startFaultProxy({ upstream: env.aws.endpoint, seed: 29 });
    try {
      await s.add(corpus("sqr", 40, 800), { perMessage: 2 });
      const sqs = { service: "sqs" } as const;
      const throttled = proxy.add({
        ...sqs,
        name: "receive throttled",
        action: "ReceiveMessage",
        fault: awsError(400, "ThrottlingException"),
        probability: 0.4,
      });
      const r500 = proxy.add({ ...sqs, name: "receive 500", action: "ReceiveMessage", fault: awsError(500, "InternalError"), probability: 0.2 });
      const d503 = proxy.add({ ...sqs, name: "delete 503", action: "DeleteMessageBatch", fault: awsError(503, "ServiceUnavailable"), probability: 0.5 });
      const d500 = proxy.add({ ...sqs, name: "delete 500", action: "DeleteMessageBatch", fault: awsError(500, "InternalError"), probability: 0.3 });
      const v503 = proxy.add({
        ...sqs,
        name: "visibility 503",
        action: "ChangeMessageVisibility",
        fault: awsError(503, "ServiceUnavailable"),
        probability: 0.3,
      });
      const out = `${s.dir}/out`;
      const d = s.start(await s.config({ queueUrl: proxy.via(s.queue.url), sqs: proxy.endpoint, output: fileOutput(out) }));
      await s.waitDrained(120_000);
      expect((await d.stop()).code).toBe(0);
      const hits = { throttled: throttled.hits, r500: r500.hits, d5xx: d503.hits + d500.hits, v503: v503.hits };
      const { tally } = s.finish(await s.fileMessages(out), `${hits.throttled} throttled + ${hits.r500}×500 receives, ${hits.d5xx} delete 5xx`);
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
      expect(hits.throttled * hits.r500 * hits.d5xx).toBeGreaterThan(0);
    } finally {
      await s.cleanup();
      await proxy.stop();
    }
  });
});
