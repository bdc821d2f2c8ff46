// Fault suite (on demand): SIGKILL several times in one run, at chosen and random points.
import { afterAll, describe, expect, it } from "vitest";
import { useTestAws } from "../support/aws.ts";
import { corpus, fileOutput, logstashOutput, lumberjackMessages, outputLines, Scenario } from "../support/faultHarness.ts";
import { startFaultProxy } from "../support/faultProxy.ts";
import { startLumberjackServer } from "../support/lumberjackServer.ts";
import { printOwnRows } from "../support/tally.ts";
import { killAt } from "./kills.ts";

const BUCKET = "faults-kill";

describe("fault suite: SIGKILL", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it("file output, six kills (mid-object, receive, before the delete, random times): nothing lost", async () => {
    const s = await Scenario.create(env, { name: "SIGKILL ×6, file output", slug: "kill-file", bucket: BUCKET });
    const proxy = await startFaultProxy({ upstream: env.aws.endpoint });
    try {
      await s.add(corpus("kf", 40, 3000, { lineBytes: 80 }), { perMessage: 2 });
      const out = `${s.dir}/out`;
      const cfg = await s.config({ queueUrl: proxy.via(s.queue.url), sqs: proxy.endpoint, s3: proxy.endpoint, output: fileOutput(out) });
      const { landed, lastExit } = await killAt(s, cfg, proxy, ["random", "mid-object", "during-receive", "random", "before-delete", "mid-object"], () =>
        outputLines(out),
      );
      console.log(`kill-file: kills landed at ${landed.join(", ")} events written`);
      const { tally } = s.finish(await s.fileMessages(out));
      expect(lastExit).toEqual({ code: 0, signal: null });
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
    } finally {
      await s.cleanup();
      await proxy.stop();
    }
  });

  it("lumberjack output, five kills: nothing lost (arrivals at the collector counted, ACKed or not)", async () => {
    const s = await Scenario.create(env, { name: "SIGKILL ×5, lumberjack output", slug: "kill-lj", bucket: BUCKET });
    const proxy = await startFaultProxy({ upstream: env.aws.endpoint });
    const server = await startLumberjackServer();
    try {
      await s.add(corpus("kl", 30, 2000, { lineBytes: 80 }));
      const cfg = await s.config({
        queueUrl: proxy.via(s.queue.url),
        sqs: proxy.endpoint,
        s3: proxy.endpoint,
        output: logstashOutput(server.address, ["timeout: 5s", "backoff.init: 1s", "backoff.max: 2s"]),
      });
      const { landed, lastExit } = await killAt(s, cfg, proxy, ["mid-object", "during-receive", "random", "before-delete", "mid-object"], () => server.acked);
      console.log(`kill-lj: kills landed at ${landed.join(", ")} acknowledged events`);
      const { tally } = s.finish(lumberjackMessages(server));
      expect(lastExit).toEqual({ code: 0, signal: null });
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
    } finally {
      await s.cleanup();
      await server.stop();
      await proxy.stop();
    }
  });
});
