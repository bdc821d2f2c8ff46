// Fault suite, CI subset: SIGKILL three times in one run (file output).
import { afterAll, describe, expect, it } from "vitest";
import { useTestAws } from "../support/aws.ts";
import { corpus, fileOutput, outputLines, Scenario } from "../support/faultHarness.ts";
import { startFaultProxy } from "../support/faultProxy.ts";
import { printOwnRows } from "../support/tally.ts";
import { killAt } from "./kills.ts";

const BUCKET = "faults-kill-ci";

describe("fault suite (CI): SIGKILL", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it("file output, killed mid-object, during a receive and between the ack and the delete: nothing lost", async () => {
    const s = await Scenario.create(env, { name: "SIGKILL ×3, file output", slug: "kill-file-ci", bucket: BUCKET, ci: true });
    const proxy = await startFaultProxy({ upstream: env.aws.endpoint });
    try {
      await s.add(corpus("kfc", 24, 2500, { lineBytes: 80 }));
      const out = `${s.dir}/out`;
      const cfg = await s.config({ queueUrl: proxy.via(s.queue.url), sqs: proxy.endpoint, s3: proxy.endpoint, output: fileOutput(out) });
      const { landed, lastExit } = await killAt(s, cfg, proxy, ["mid-object", "during-receive", "before-delete"], () => outputLines(out));
      console.log(`kill-file-ci: kills landed at ${landed.join(", ")} events written`);
      const { tally } = s.finish(await s.fileMessages(out));
      expect(lastExit).toEqual({ code: 0, signal: null });
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
      // The held delete never reached SQS: that message's events came again.
      expect(proxy.count({ action: "DeleteMessageBatch" }, "delay (client gone, dropped)")).toBe(1);
    } finally {
      await s.cleanup();
      await proxy.stop();
    }
  });
});
