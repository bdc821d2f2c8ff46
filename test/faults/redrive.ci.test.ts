// Fault suite, CI subset: a message that always fails reaches the DLQ through the redrive policy.
import { afterAll, describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { putObject, useTestAws } from "../support/aws.ts";
import { corpus, fileOutput, Scenario } from "../support/faultHarness.ts";
import { awsError, startFaultProxy } from "../support/faultProxy.ts";
import { printOwnRows } from "../support/tally.ts";

const BUCKET = "faults-redrive-ci";
const MAX_RECEIVES = 3;

describe("fault suite (CI): redrive", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it(`a message whose object always answers 500 is retried, never deleted, and dead-lettered after ${MAX_RECEIVES} receives; the others flow`, async () => {
    const s = await Scenario.create(env, {
      name: `always-500 object → DLQ after ${MAX_RECEIVES} receives`,
      slug: "redrive-ci",
      bucket: BUCKET,
      ci: true,
      maxReceiveCount: MAX_RECEIVES,
    });
    const proxy = await startFaultProxy({ upstream: env.aws.endpoint });
    try {
      const poisonKey = "rdc/always-500.log";
      await putObject(env.aws, BUCKET, poisonKey, "never read 1\nnever read 2\n");
      const good = corpus("rdc", 8, 400);
      await s.upload(good);
      // The poison message first, so that it is in every round of receives.
      await s.send([s3Notification([{ bucket: BUCKET, key: poisonKey, size: 26 }])]);
      await s.notify(good);
      const always500 = proxy.add({ name: "always-500", service: "s3", method: "GET", path: poisonKey, fault: awsError(500, "InternalError") });
      const out = `${s.dir}/out`;
      const d = s.start(await s.config({ s3: proxy.endpoint, output: fileOutput(out) }));
      await s.waitDrained(60_000);
      expect((await d.stop()).code).toBe(0);
      const { tally } = s.finish(await s.fileMessages(out));
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);

      // In the DLQ, so never deleted by s3beat; moved by SQS on the receive after the last allowed one.
      const dlq = await s.dlqMessages();
      expect(dlq.map((m) => JSON.parse(m.body).Records[0].s3.object.key)).toEqual([poisonKey]);
      expect(dlq[0]!.receiveCount).toBeGreaterThan(MAX_RECEIVES); // (our own look at the DLQ counts as one more)
      // Each of the allowed receives tried the object (the SDK retries a 500 itself, so ≥ 1 GET per receive)…
      expect(always500.hits).toBeGreaterThanOrEqual(MAX_RECEIVES);
      // …and kept the message for a retry with the documented backoff, logged with its receive count.
      const retries = d.logs().filter((l) => l.messageId === dlq[0]!.id && String(l.message).startsWith("message kept for retry"));
      expect(retries.map((l) => l.receiveCount)).toEqual([1, 2, 3]);
      expect(d.stats()).toMatchObject({ messagesRetried: MAX_RECEIVES, messagesDeleted: good.length });
    } finally {
      await s.cleanup();
      await proxy.stop();
    }
  });
});
