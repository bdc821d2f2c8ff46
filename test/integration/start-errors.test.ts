/**
 * Queues that cannot be used at start: every one is reported with its likely causes and the check
 * command; the healthy ones run meanwhile; a bad one is retried with backoff and joins when it can
 * be used; the daemon exits 1 only when no queue can be used; network errors are retried, not fatal.
 */
import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createQueue, putObject, sendBodies, useTestAws, waitFor, writeConfig } from "../support/aws.ts";
import { logLines, spawnS3beat } from "../support/child.ts";
import { getJson } from "../support/metrics.ts";

const BUCKET = "start-errors-bucket";

describe("queues that cannot be used at start", () => {
  const env = useTestAws(BUCKET);

  const config = (queues: string[], sqsEndpoint = env.aws.endpoint, extra: string[] = []) =>
    [
      "s3beat:",
      `  sqsQueues: [${queues.map((q) => `"${q}"`).join(", ")}]`,
      "  accessKeyID: test-access-key",
      "  secretAccessKey: test-secret-key",
      `  endpoints: { sqs: "${sqsEndpoint}", s3: "${env.aws.endpoint}" }`,
      "  sqsWaitTime: 1s",
      "  heartbeatdisabled: true",
      ...extra.map((l) => `  ${l}`),
      `output.file: { path: ${env.dir}/out-${queues.length}-${Math.random().toString(36).slice(2)} }`,
      "logging.metrics.period: 0",
      "http.enabled: true",
      "http.port: 0",
      "configVersion: 1",
      "",
    ].join("\n");

  it("one bad queue out of two: the good one ingests, the bad one is reported with its causes and by /readyz, then joins once it exists", async () => {
    const { url: goodUrl } = await createQueue(env.aws, "good-queue");
    await putObject(env.aws, BUCKET, "good/one.log", "a\nb\nc\n");
    await sendBodies(env.aws, goodUrl, [s3Notification([{ bucket: BUCKET, key: "good/one.log", size: 6 }])]);
    const cfg = await writeConfig(env.dir, config(["good-queue:us-east-1", "later-queue:us-east-1"]), "two.yml");
    const child = spawnS3beat(["run", "-c", cfg]);
    try {
      await waitFor(
        "the good queue to ingest",
        async () => {
          const m = /http endpoint listening on 127\.0\.0\.1:(\d+)/.exec(child.stderr());
          if (!m) return false;
          const text = await (await fetch(`http://127.0.0.1:${m[1]}/metrics`)).text();
          return /s3beat_sqs_messages_deleted_total\{queue="good-queue"\} 1/.test(text);
        },
        30_000,
      );
      const port = /http endpoint listening on 127\.0\.0\.1:(\d+)/.exec(child.stderr())![1];
      const base = `http://127.0.0.1:${port}`;
      const logs = logLines(child.stderr());
      const report = logs.find((l) => l["log.level"] === "error" && String(l.message).startsWith('queue "later-queue:us-east-1"'));
      expect(report?.message).toMatch(/region us-east-1, endpoint http:\/\/127\.0\.0\.1:\d+, as the base IAM user's keys\) does not exist/);
      expect(report?.message).toContain(`node bin/s3beat.js check -c ${cfg}`);
      const ready = await getJson(base, "/readyz");
      expect(ready.status).toBe(503);
      expect((ready.body.notReady as { part: string }[]).map((p) => p.part)).toEqual(["queue later-queue"]);
      // Reported on each attempt, with the attempt number.
      await waitFor("a retry to be reported", () => logLines(child.stderr()).some((l) => /\(attempt 2; next in \d+s\)/.test(String(l.message))), 20_000);
      await env.aws.sqs.send(new CreateQueueCommand({ QueueName: "later-queue" }));
      await waitFor("the queue to join", () => /queue later-queue can be used now/.test(child.stderr()), 60_000);
      await waitFor("ready", async () => (await getJson(base, "/readyz")).status === 200, 20_000);
    } finally {
      child.proc.kill("SIGTERM");
    }
    expect((await child.exited).code).toBe(0);
  });

  it("no queue can be used: exit 1, every bad queue reported, not only the first", async () => {
    const cfg = await writeConfig(env.dir, config(["missing-one:us-east-1", "missing-two:us-east-1"]), "none.yml");
    const child = spawnS3beat(["run", "-c", cfg]);
    const { code } = await child.exited;
    expect(code).toBe(1);
    const fatal = logLines(child.stderr()).find((l) => l["log.level"] === "fatal");
    expect(fatal?.message).toMatch(/^no queue can be used \(2 of 2 failed\):/);
    expect(fatal?.message).toContain('queue "missing-one:us-east-1"');
    expect(fatal?.message).toContain('queue "missing-two:us-east-1"');
  });

  it("a network error at start is retried with backoff and logged, not fatal", async () => {
    // Nothing listens on port 9 of 127.0.0.1: connection refused.
    const cfg = await writeConfig(env.dir, config(["unreachable:us-east-1"], "http://127.0.0.1:9"), "net.yml");
    const child = spawnS3beat(["run", "-c", cfg]);
    try {
      await waitFor(
        "two attempts",
        () => logLines(child.stderr()).some((l) => /cannot be reached.*\(attempt 2; next in \d+s\)/.test(String(l.message))),
        30_000,
      );
      expect(child.proc.exitCode).toBeNull(); // still running
      expect(child.stderr()).toContain("ECONNREFUSED");
    } finally {
      child.proc.kill("SIGTERM");
    }
    expect((await child.exited).code).toBe(0);
  });
});
