// Fault suite, CI subset: the collector down for twice the visibility timeout.
import { afterAll, describe, expect, it } from "vitest";
import { useTestAws, waitFor } from "../support/aws.ts";
import { corpus, logstashOutput, lumberjackMessages, Scenario } from "../support/faultHarness.ts";
import { startLumberjackServer } from "../support/lumberjackServer.ts";
import { printOwnRows } from "../support/tally.ts";

const BUCKET = "faults-collector-ci";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("fault suite (CI): collector", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it("down for 2× the visibility timeout mid-run: messages stay hidden (extended), nothing retried or lost", async () => {
    const s = await Scenario.create(env, { name: "collector down 2× visibility", slug: "collector-down-ci", bucket: BUCKET, ci: true, maxReceiveCount: 3 });
    const server = await startLumberjackServer();
    try {
      await s.add(corpus("cdc", 12, 1500));
      const cfg = await s.config({ output: logstashOutput(server.address, ["timeout: 3s", "backoff.init: 1s", "backoff.max: 2s"]) });
      const d = s.start(cfg);
      await waitFor("2000 events acknowledged", () => server.acked >= 2000, 30_000, 25);
      await server.down();
      const receivedAtDown = server.received;
      await sleep(2 * 4000 + 500); // 2 × visibilityTimeout
      // Held, not failed: nothing moved to the DLQ, no message came back while the collector was away.
      expect((await s.depth()).dlq).toBe(0);
      await server.restart();
      await s.waitDrained(60_000);
      const exit = await d.stop();
      expect(exit.code).toBe(0);
      const { tally } = s.finish(lumberjackMessages(server));
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect(receivedAtDown).toBeLessThan(tally.expected); // the premise: it really went down mid-run
      expect(d.stats()).toMatchObject({ messagesRetried: 0, objectsFailed: 0 });
      expect((await s.depth()).dlq).toBe(0);
    } finally {
      await s.cleanup();
      await server.stop();
    }
  });
});
