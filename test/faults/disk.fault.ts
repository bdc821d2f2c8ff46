// Fault suite (on demand): the file output's disk full for a while, then space again.
// Needs to mount a tmpfs (root, or CAP_SYS_ADMIN); skipped with the reason otherwise.
import { execFileSync } from "node:child_process";
import { mkdirSync, openSync, rmSync, writeSync, closeSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { useTestAws, waitFor } from "../support/aws.ts";
import { corpus, fileOutput, outputLines, Scenario } from "../support/faultHarness.ts";
import { printOwnRows } from "../support/tally.ts";

const BUCKET = "faults-disk";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Mounts a tmpfs of `size` at `dir`; the reason it cannot, otherwise. */
function mountTmpfs(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs (${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim() || "mount failed"}); run as root to include the full-disk scenario`;
  }
}

/** Writes a file until the file system is full; returns its size. */
function fill(path: string): number {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 0x66);
  let size = 0;
  try {
    for (;;) {
      try {
        size += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw err;
      }
    }
    // Fill the last partial block too.
    for (let n = 4096; n >= 1; n = Math.floor(n / 2)) {
      try {
        for (;;) size += writeSync(fd, chunk, 0, n);
      } catch {
        // next smaller size
      }
    }
  } finally {
    closeSync(fd);
  }
  return size;
}

describe("fault suite: disk", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it("file output on a full disk for 12 s (3× visibility; maxReceiveCount 3), then space again: nothing lost, DLQ empty", async (ctx) => {
    const s = await Scenario.create(env, { name: "disk full 12 s under the file output", slug: "disk-full", bucket: BUCKET, maxReceiveCount: 3 });
    const mnt = `${s.dir}/disk`;
    const why = mountTmpfs(mnt, "16m");
    if (why) {
      console.log(`disk-full scenario skipped: ${why}`);
      ctx.skip();
      return;
    }
    try {
      await s.add(corpus("df", 10, 1000));
      const out = `${mnt}/out`;
      const d = s.start(await s.config({ output: fileOutput(out) }));
      await waitFor("the first events", () => outputLines(out) >= 500, 30_000, 20);
      fill(`${mnt}/filler`);
      const atFull = outputLines(out);
      await sleep(12_000);
      const duringFull = outputLines(out) - atFull;
      rmSync(`${mnt}/filler`);
      const freedAt = Date.now();
      const linesAtFree = outputLines(out);
      // (Before the file output held messages, they were all dead-lettered meanwhile: nothing resumes.)
      await waitFor("writing to resume, or the queue to drain", async () => outputLines(out) > linesAtFree || (await s.depth()).queue === 0, 60_000, 50);
      const resumed =
        outputLines(out) > linesAtFree ? `writing resumed ${((Date.now() - freedAt) / 1000).toFixed(1)} s after space came back` : "writing never resumed";
      await s.waitDrained(60_000);
      expect((await d.stop()).code).toBe(0);
      const dlq = (await s.depth()).dlq;
      const { tally } = s.finish(await s.fileMessages(out), `${dlq} in DLQ; ${resumed}`);
      // The premise: nothing could be written meanwhile (a batch cut short by ENOSPC is truncated away).
      expect(duringFull).toBeLessThanOrEqual(0);
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      // Today's outcome before the file output holds messages: ENOSPC fails the object, the message is
      // retried with backoff and dead-lettered after maxReceiveCount (lost > 0, DLQ not empty).
      expect(dlq).toBe(0);
    } finally {
      await s.cleanup();
      try {
        execFileSync("umount", ["-l", mnt], { stdio: "pipe" });
      } catch {
        // already gone
      }
    }
  });
});
