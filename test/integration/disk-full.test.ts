/**
 * A real full disk under the file output: a small tmpfs, filled up by a filler file while the daemon
 * (a child process) ingests. The failing writes are retried inside the output, so the messages are
 * held (visibility extended), not failed: no receive count climbs, nothing reaches the dead-letter
 * queue, and once there is space again every event is written exactly once.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig } from "../support/aws.ts";
import { logLines, spawnS3beat, type Child } from "../support/child.ts";

const BUCKET = "disk-full-bucket";
const OBJECTS = 20;
const LINES = 40;
/** Room left beside the filler: about two objects' events (one batch each, ~32 KiB), so the disk fills up early in the run. */
const LEFT_FREE = 80 * 1024;

/** A 1 MiB tmpfs, or why there is none (not root, no mount permission in the container, …). */
async function mountTmpfs(): Promise<{ path: string } | { skip: string }> {
  const path = await mkdtemp(join(tmpdir(), "s3beat-disk-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", path], { stdio: "pipe" });
    return { path };
  } catch (err) {
    await rm(path, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { skip: `cannot mount a tmpfs (${stderr || (err as Error).message})` };
  }
}

const disk = await mountTmpfs();
if ("skip" in disk) console.log(`disk-full test skipped: ${disk.skip}`);
let child: Child | undefined;

afterAll(async () => {
  if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill("SIGKILL");
    await child.exited;
  }
  if ("path" in disk) {
    try {
      execFileSync("umount", [disk.path], { stdio: "pipe" });
    } catch {
      execFileSync("umount", ["-l", disk.path], { stdio: "pipe" });
    }
    await rm(disk.path, { recursive: true, force: true });
  }
});

/** A counter's value for the queue in a /metrics scrape. */
function counter(metrics: string, name: string): number {
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, "m").exec(metrics);
  return m ? Number(m[1]) : 0;
}

describe("a full disk under the file output", () => {
  const env = useTestAws(BUCKET);

  it.skipIf("skip" in disk)("holds the messages (no redelivery, no dead letter, /readyz says ENOSPC), then writes every event exactly once", async () => {
    if (!("path" in disk)) return;
    const { aws, dir } = env;
    const { url, dlqUrl } = await createQueue(aws, "disk-full", 2);
    const expected = new Set<string>();
    const bodies: string[] = [];
    for (let o = 0; o < OBJECTS; o++) {
      const lines = Array.from({ length: LINES }, (_, l) => `object ${o} line ${l} ${"x".repeat(200)}`);
      for (const line of lines) expected.add(line);
      await putObject(aws, BUCKET, `full/${o}.log`, lines.join("\n"));
      bodies.push(s3Notification([{ bucket: BUCKET, key: `full/${o}.log`, size: 1 }]));
    }
    await sendBodies(aws, url, bodies);

    const out = join(disk.path, "out");
    const filler = join(disk.path, "filler");
    const { bavail, bsize } = await statfs(disk.path);
    await writeFile(filler, Buffer.alloc(bavail * bsize - LEFT_FREE));

    const cfg = await writeConfig(
      dir,
      testConfig(aws, url, {
        s3beat: ["visibilityTimeout: 4s", "maxMessagesInFlight: 4", "shutdownGracePeriod: 5s"],
        output: [`output.file: { path: ${out} }`, "http.enabled: true", "http.port: 0"].join("\n"),
      }),
      "disk-full.yml",
    );
    child = spawnS3beat(["run", "-c", cfg]);
    const logs = () => logLines(child!.stderr());
    await waitFor("the http endpoint", () => logs().some((l) => String(l.message).startsWith("http endpoint listening")), 30_000);
    const base = String(logs().find((l) => String(l.message).startsWith("http endpoint listening"))!.url);

    // The disk fills up: the output says so, once as a warning, and /readyz names it.
    await waitFor("a write failing with ENOSPC", () => logs().some((l) => l["error.code"] === "ENOSPC"), 30_000);
    const failure = logs().find((l) => l["error.code"] === "ENOSPC")!;
    expect(failure).toMatchObject({ "log.level": "warn", "file.path": join(out, "s3beat"), failures: 1 });
    expect(failure.message).toMatch(
      /^file output: writing .*\/out\/s3beat failed: ENOSPC: no space left on device.*retrying in .*events are kept and written when it succeeds/,
    );
    const readyz = await fetch(`${base}/readyz`);
    expect(readyz.status).toBe(503);
    const ready = (await readyz.json()) as { notReady: { part: string; reason: string }[] };
    expect(ready.notReady).toEqual([{ part: "output file", reason: expect.stringMatching(/ENOSPC/) }]);

    // Full for three visibility timeouts: the messages in progress stay hidden and in progress, the
    // rest wait on the queue (intake paused), none is received twice and none is dead-lettered.
    const fullSince = Date.now();
    let received = 0;
    while (Date.now() - fullSince < 12_000) {
      const depth = await queueDepth(aws, url);
      expect(depth.inFlight).toBeGreaterThan(0);
      expect(depth.inFlight).toBeLessThanOrEqual(4);
      expect(depth.visible).toBeGreaterThan(0);
      expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
      received = counter(await (await fetch(`${base}/metrics`)).text(), "s3beat_sqs_messages_received_total");
      expect(received).toBeLessThanOrEqual(OBJECTS);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(counter(metrics, "s3beat_sqs_messages_retried_total")).toBe(0);
    expect(counter(metrics, "s3beat_sqs_messages_received_total")).toBeLessThanOrEqual(4 + counter(metrics, "s3beat_sqs_messages_deleted_total"));
    expect(counter(metrics, "s3beat_output_write_errors_total")).toBeGreaterThan(1);
    expect(logs().filter((l) => String(l.message).includes("kept for retry"))).toEqual([]);
    expect(logs().filter((l) => l["log.level"] === "error")).toEqual([]);
    const whileFull = await readFileOutput(out);
    expect(whileFull.torn).toBe(0);
    expect(whileFull.events.length).toBeLessThan(OBJECTS * LINES);

    // Space again: everything is written, once, and the queue drains without a single redelivery.
    await rm(filler);
    await waitFor(
      "the queue to drain",
      async () => {
        const d = await queueDepth(aws, url);
        return d.visible + d.inFlight === 0;
      },
      90_000,
      250,
    );
    expect(logs().some((l) => String(l.message).includes("works again"))).toBe(true);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });

    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
    const stopped = logs().find((l) => String(l.message).startsWith("s3beat stopped"));
    expect(stopped?.stats).toMatchObject({ messagesReceived: OBJECTS, messagesDeleted: OBJECTS, messagesRetried: 0, objectsFailed: 0 });

    const { events, torn } = await readFileOutput(out);
    expect(torn).toBe(0);
    const seen = new Map<string, number>();
    for (const e of events) seen.set(e.message, (seen.get(e.message) ?? 0) + 1);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect(new Set(seen.keys())).toEqual(expected);
    expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    console.log(
      `disk-full test: ${whileFull.events.length} events written before the disk was full, ${events.length} after; ${counter(metrics, "s3beat_output_write_errors_total")} failed writes while full`,
    );
  });
});
