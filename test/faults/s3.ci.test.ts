// Fault suite, CI subset: S3 answering 503 SlowDown and resetting connections mid-body.
import { afterAll, describe, expect, it } from "vitest";
import { useTestAws } from "../support/aws.ts";
import { corpus, fileOutput, Scenario } from "../support/faultHarness.ts";
import { awsError, startFaultProxy } from "../support/faultProxy.ts";
import { printOwnRows } from "../support/tally.ts";

const BUCKET = "faults-s3-ci";

describe("fault suite (CI): S3", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it("503 SlowDown on GetObject and connections reset mid-body: retried, nothing lost or dead-lettered", async () => {
    const s = await Scenario.create(env, { name: "S3 503 SlowDown + reset mid-body", slug: "s3-faults-ci", bucket: BUCKET, ci: true });
    const proxy = await startFaultProxy({ upstream: env.aws.endpoint, seed: 5 });
    try {
      // Random hex in every line, so that the gzipped objects (obj-0, 3, 6, 9) stay large (110 KB).
      const objects = corpus("s3c", 12, 3000, { lineBytes: 80, incompressible: true });
      await s.add(objects);
      // Three objects, one of them gzipped, have their first two downloads cut mid-body, after a first
      // batch of events was written (plain: 160 KiB of 240; gzip: 64 KiB of 110). A gzip stream cut by
      // the network is not a truncated object: it must be retried, not dead-lettered as poison.
      const reset = proxy.add({
        name: "reset",
        service: "s3",
        method: "GET",
        path: /\/s3c\/obj-(1|5)\.log$/,
        fault: { kind: "reset-after", bytes: 160 * 1024 },
        count: 4,
      });
      const resetGz = proxy.add({
        name: "reset gz",
        service: "s3",
        method: "GET",
        path: "/s3c/obj-3.log.gz",
        fault: { kind: "reset-after", bytes: 64 * 1024 },
        count: 2,
      });
      // And every other GetObject is answered 503 SlowDown (the SDK retries it; three in a row fail the object).
      const slowDown = proxy.add({
        name: "slowdown",
        service: "s3",
        method: "GET",
        path: "/s3c/",
        fault: awsError(503, "SlowDown"),
        probability: 0.5,
        count: 14,
      });
      const out = `${s.dir}/out`;
      const d = s.start(await s.config({ s3: proxy.endpoint, output: fileOutput(out) }));
      await s.waitDrained(60_000);
      expect((await d.stop()).code).toBe(0);
      const { tally } = s.finish(await s.fileMessages(out));
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
      expect(reset.hits + resetGz.hits).toBe(6);
      expect(slowDown.hits).toBeGreaterThan(0);
      // A cut body fails its object: the message is retried (never deleted with events missing).
      expect(d.stats()?.messagesRetried).toBeGreaterThanOrEqual(3);
      expect(tally.duplicates).toBeGreaterThan(0);
    } finally {
      await s.cleanup();
      await proxy.stop();
    }
  });
});
