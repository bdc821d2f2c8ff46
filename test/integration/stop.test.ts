/**
 * Stopping, as an orchestrator does it: SIGTERM to the real daemon process. Idle, it exits 0 within
 * 2 s. Busy with a collector that never acknowledges, or with an S3 body that stalls, it exits 0
 * within shutdownGracePeriod + 5 s, every unfinished message is visible again at once (released with
 * visibility 0, never deleted), and its last log line counts what was deleted, released and left.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createBucket, createQueue, putObject, queueDepth, sendBodies, startTestAws, tempDir, waitFor, writeConfig, type TestAws } from "../support/aws.ts";
import { logLines, spawnS3beat, type Child } from "../support/child.ts";
import { startLumberjackServer, type LumberjackServer } from "../support/lumberjackServer.ts";
import { startStallProxy, type StallProxy } from "../support/stallProxy.ts";

const BUCKET = "stop-bucket";
const GRACE_SECONDS = 2;

/** SIGTERM, then the time until the process exited, its exit code and its last log line. */
async function terminate(child: Child): Promise<{ ms: number; code: number | null; last: Record<string, unknown> | undefined }> {
  const t0 = performance.now();
  child.proc.kill("SIGTERM");
  const { code } = await child.exited;
  const ms = performance.now() - t0;
  return { ms, code, last: logLines(child.stderr()).at(-1) };
}

describe("stopping the daemon (SIGTERM to the real process)", () => {
  let aws: TestAws;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let collector: LumberjackServer;
  let stall: StallProxy;

  beforeAll(async () => {
    aws = await startTestAws();
    dir = await tempDir();
    await createBucket(aws, BUCKET);
    collector = await startLumberjackServer({ keepEvents: false });
    stall = await startStallProxy({ upstream: aws.endpoint, stallMarker: "/stall/" });
    // 200k lines: more than a few windows, so a collector that never ACKs holds the object midway.
    const lines = Array.from({ length: 200_000 }, (_, i) => `stop test line ${i} ${"y".repeat(i % 50)}`).join("\n");
    for (let i = 0; i < 3; i++) await putObject(aws, BUCKET, `busy/object-${i}.log.gz`, gzipSync(lines));
    await putObject(aws, BUCKET, "stall/slow.log", Buffer.from(lines));
  });
  afterAll(async () => {
    await stall?.stop();
    await collector?.stop();
    await aws?.stop();
    await dir?.remove();
  });

  function config(queueUrl: string, output: string, s3 = aws.endpoint): string {
    return [
      "s3beat:",
      `  sqsQueues: ["${queueUrl}"]`,
      "  accessKeyID: test-access-key",
      "  secretAccessKey: test-secret-key",
      `  endpoints: { sqs: "${aws.endpoint}", s3: "${s3}" }`,
      "  sqsWaitTime: 20s", // the production long poll: an idle stop must not wait for it
      "  visibilityTimeout: 5m",
      `  shutdownGracePeriod: ${GRACE_SECONDS}s`,
      "  heartbeatinterval: 1s",
      output,
      "logging.metrics.period: 0",
      "",
    ].join("\n");
  }

  it("idle: exits 0 within 2 s, in the middle of a 20 s long poll, and says so", async () => {
    const { url } = await createQueue(aws, "stop-idle");
    const cfg = await writeConfig(dir.path, config(url, `output.logstash: { hosts: ["${collector.address}"] }`), "idle.yml");
    const child = spawnS3beat(["run", "-c", cfg]);
    await waitFor(
      "the daemon to start and its first heartbeat to be acknowledged",
      () => child.stderr().includes("s3beat started") && collector.acked >= 1,
      30_000,
    );
    const { ms, code, last } = await terminate(child);
    console.log(`idle stop: exited ${code} after ${Math.round(ms)} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(2000);
    expect(last?.message).toBe("s3beat stopped: 0 messages deleted, 0 released, 0 left to their visibility timeout");
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("busy with a collector that never acknowledges: exits 0 within grace + 5 s, every message visible again at once", async () => {
    const { url } = await createQueue(aws, "stop-noack");
    const keys = [0, 1, 2].map((i) => `busy/object-${i}.log.gz`);
    await sendBodies(
      aws,
      url,
      keys.map((key) => s3Notification([{ bucket: BUCKET, key, size: 1 }])),
    );
    collector.set({ ackMode: "never" });
    try {
      const cfg = await writeConfig(dir.path, config(url, `output.logstash: { hosts: ["${collector.address}"], timeout: 60s }`), "noack.yml");
      const child = spawnS3beat(["run", "-c", cfg]);
      const before = collector.received;
      await waitFor("events to reach the collector (and wait there for an ACK)", () => collector.received > before, 30_000);
      await waitFor("all three messages taken", async () => (await queueDepth(aws, url)).inFlight === 3, 30_000);
      const { ms, code, last } = await terminate(child);
      console.log(`busy stop, collector never ACKs: exited ${code} after ${Math.round(ms)} ms (grace ${GRACE_SECONDS} s)`);
      expect(code).toBe(0);
      expect(ms).toBeLessThan((GRACE_SECONDS + 5) * 1000);
      expect(ms).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 100); // it did give them the grace period
      expect(await queueDepth(aws, url)).toEqual({ visible: 3, inFlight: 0 });
      expect(last?.message).toBe("s3beat stopped: 0 messages deleted, 3 released, 0 left to their visibility timeout");
      expect(last).toMatchObject({ messagesDeleted: 0, messagesReleased: 3, messagesLeft: 0 });
    } finally {
      collector.set({ ackMode: "window" });
    }
  });

  it("busy with an S3 body that stalls: exits 0 within grace + 5 s, the message visible again at once", async () => {
    const { url } = await createQueue(aws, "stop-stall");
    await sendBodies(aws, url, [s3Notification([{ bucket: BUCKET, key: "stall/slow.log", size: 1 }])]);
    const cfg = await writeConfig(dir.path, config(url, `output.file: { path: ${dir.path}/stall-out }`, stall.endpoint), "stall.yml");
    const stalledBefore = stall.stalled;
    const child = spawnS3beat(["run", "-c", cfg]);
    await waitFor("the object's body to stall", () => stall.stalled > stalledBefore, 30_000);
    const { ms, code, last } = await terminate(child);
    if (process.env.DEBUG_STOP) console.log(child.stderr());
    console.log(`busy stop, S3 body stalled: exited ${code} after ${Math.round(ms)} ms (grace ${GRACE_SECONDS} s)`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan((GRACE_SECONDS + 5) * 1000);
    expect(await queueDepth(aws, url)).toEqual({ visible: 1, inFlight: 0 });
    expect(last?.message).toBe("s3beat stopped: 0 messages deleted, 1 released, 0 left to their visibility timeout");
  });
});
