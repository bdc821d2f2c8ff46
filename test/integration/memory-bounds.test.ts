import { execFileSync, spawn } from "node:child_process";
import { createReadStream, readFileSync } from "node:fs";
import { cp, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createGzip, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import type { BeatEvent } from "../../src/events/event.ts";
import { createQueue, putObject, queueDepth, sendBodies, testConfig, useTestAws, waitFor, writeConfig } from "../support/aws.ts";
import { logLines } from "../support/child.ts";

const BUCKET = "memory-bucket";
const MiB = 1024 * 1024;
/** The default maxEventBytes: what no event may ship more than (its message, JSON-escaped). */
const MAX_EVENT_BYTES = 10 * MiB;
const LONG_LINE = Math.round(10.5 * MiB);
const LONG_OBJECTS = 10;
const RSS_LIMIT = 200 * MiB;

/**
 * Four 10.5 MiB lines of text, one of NUL bytes (each ships as `\u0000`: 63 MiB once JSON-escaped),
 * a line that is not UTF-8 and a short one: 52.5 MiB that gzip to about 50 KiB.
 */
function longObject(): Buffer {
  const nl = Buffer.from("\n");
  const parts: Buffer[] = [];
  for (const c of "abcd") parts.push(Buffer.alloc(LONG_LINE, c), nl);
  parts.push(Buffer.alloc(LONG_LINE, 0), nl);
  parts.push(Buffer.from("bad \xff\xfe bytes\n", "latin1"), Buffer.from("last line\n"));
  return gzipSync(Buffer.concat(parts));
}

/** ~2 GB of zeros gzipped (about 2 MB: deflate's ~1030:1), generated as a stream. */
async function bomb(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 6 });
  const out: Buffer[] = [];
  gzip.on("data", (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => gzip.on("end", resolve));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < bytes; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once("drain", resolve));
  }
  gzip.end();
  await ended;
  return Buffer.concat(out);
}

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/**
 * A compiled copy of the package, as production runs it (npm ci builds dist/; the image ships
 * only dist/): the sources run by type stripping cost ~30 MB more RSS, and the repository's own
 * dist/ may be older than its sources.
 */
async function buildCopy(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "s3beat-built-"));
  for (const d of ["bin", "src", "migrations", "config"]) await cp(join(REPO, d), join(root, d), { recursive: true });
  for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json"]) await cp(join(REPO, f), join(root, f));
  await symlink(join(REPO, "node_modules"), join(root, "node_modules"));
  execFileSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "pipe" });
  await writeFile(join(root, "dist/.built"), new Date().toISOString());
  return root;
}

/** Runs `s3beat run -c cfg` from the compiled copy (like support/child.ts does from the repository). */
function runBuilt(root: string, cfg: string) {
  const { npm_command: _ignored, S3BEAT_FROM_SOURCE: _source, ...env } = process.env;
  const proc = spawn(process.execPath, [join(root, "bin/s3beat.js"), "run", "-c", cfg], { env, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  return { proc, stderr: () => err, exited };
}

function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

interface Seen {
  key: string;
  offset: number;
  length: number;
  /** Bytes of the message as shipped: its JSON-escaped UTF-8, quotes excluded. */
  shipped: number;
  flags: string[];
  head: string;
}

/** Every event of the file output, streamed line by line (the files hold hundreds of MB); messages are not kept. */
async function readEvents(dir: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  const names = (await readdir(dir))
    .filter((n) => n.startsWith("s3beat"))
    .sort()
    .reverse();
  for (const name of names) {
    const lines = createInterface({ input: createReadStream(join(dir, name)), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === "") continue;
      const doc = JSON.parse(line) as BeatEvent | { heartbeat: unknown };
      if ("heartbeat" in doc) continue;
      const e = doc;
      seen.push({
        key: e.aws.s3.object.key,
        offset: e.log.offset,
        length: e.message.length,
        shipped: Buffer.byteLength(JSON.stringify(e.message)) - 2,
        flags: e.log.flags ?? [],
        head: e.message.slice(0, 12),
      });
    }
  }
  return seen;
}

describe("memory stays bounded by the settings, whatever the objects hold", () => {
  const env = useTestAws(BUCKET);
  let root: string | undefined;
  beforeAll(async () => {
    root = await buildCopy();
  }, 120_000);
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("ships 10.5 MiB lines cut to maxEventBytes as shipped, stops a 2 GB gzip bomb as too_large, and stays under 200 MB", { timeout: 300_000 }, async () => {
    const { aws, dir } = env;
    const { url, dlqUrl } = await createQueue(aws, "memory");

    const long = longObject();
    const longKeys = Array.from({ length: LONG_OBJECTS }, (_, i) => `long/object-${i}.log.gz`);
    for (const key of longKeys) await putObject(aws, BUCKET, key, long);
    const zeros = await bomb(2000 * MiB);
    expect(zeros.length).toBeLessThan(2.5 * MiB);
    await putObject(aws, BUCKET, "bomb/zeros.log.gz", zeros);
    await putObject(aws, BUCKET, "normal/ok.log", "ok 1\nok 2\n");
    const note = (key: string, size: number) => s3Notification([{ bucket: BUCKET, key, size }]);
    await sendBodies(aws, url, [note("bomb/zeros.log.gz", zeros.length), ...longKeys.map((k) => note(k, long.length)), note("normal/ok.log", 10)]);

    const out = join(dir, "out");
    // Default settings but the long-poll wait; one big file, so that the check sees every event.
    const cfg = await writeConfig(dir, testConfig(aws, url, { output: `output.file: { path: ${out}, rotate_every_kb: 4194304 }` }), "memory.yml");
    const child = runBuilt(root!, cfg);
    const pid = child.proc.pid!;
    let peakSampled = 0;
    const sampler = setInterval(() => (peakSampled = Math.max(peakSampled, procStatus(pid, "VmRSS"))), 20);
    let hwm = 0;
    try {
      await waitFor(
        "every message settled",
        async () => {
          const errors = logLines(child.stderr()).filter((l) => l["log.level"] === "error" && !String(l.message).includes("is too large"));
          if (errors.length > 0) throw new Error(`unexpected errors: ${JSON.stringify(errors).slice(0, 2000)}`);
          const q = await queueDepth(aws, url);
          return q.visible === 0 && q.inFlight === 0 && child.stderr().includes("is too large");
        },
        240_000,
        250,
      );
      hwm = procStatus(pid, "VmHWM");
    } finally {
      clearInterval(sampler);
      child.proc.kill("SIGTERM");
    }
    expect((await child.exited).code).toBe(0);

    const logs = logLines(child.stderr());
    const tooLarge = logs.filter((l) => String(l.message).includes("is too large"));
    expect(tooLarge).toHaveLength(1);
    expect(tooLarge[0]).toMatchObject({ "log.level": "error", bucket: BUCKET, key: "bomb/zeros.log.gz", limit: "maxCompressionRatio", limitValue: 1000 });
    expect(tooLarge[0]?.message).toMatch(/s3:\/\/memory-bucket\/bomb\/zeros\.log\.gz is too large: .*raise s3beat\.maxCompressionRatio/);
    // Stopped soon after the 64 MiB the ratio needs, not after 2 GB.
    expect(Number(tooLarge[0]?.decompressedBytes)).toBeLessThan(80 * MiB);

    const stopped = logs.find((l) => String(l.message).startsWith("s3beat stopped"));
    const stats = stopped?.stats as Record<string, number>;
    expect(stats).toMatchObject({
      objectsTooLarge: 1,
      objectsRead: LONG_OBJECTS + 1,
      objectsFailed: 0,
      objectsPoison: 0,
      messagesDeleted: LONG_OBJECTS + 2,
      messagesRetried: 0,
    });
    expect(stats.eventsTruncated).toBe(5 * LONG_OBJECTS);
    expect(stats.eventsInvalidUtf8).toBe(LONG_OBJECTS);
    // Deleted, not retried and not dead-lettered.
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 0 });
    expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });

    const events = await readEvents(out);
    expect(events.filter((e) => e.key === "bomb/zeros.log.gz")).toEqual([]);
    expect(events.filter((e) => e.key === "normal/ok.log").map((e) => e.head)).toEqual(["ok 1", "ok 2"]);
    for (const key of longKeys) {
      const got = events.filter((e) => e.key === key).sort((a, b) => a.offset - b.offset);
      const at = (i: number) => i * (LONG_LINE + 1);
      expect(got.map(({ offset, length, flags }) => ({ offset, length, flags }))).toEqual([
        ...[0, 1, 2, 3].map((i) => ({ offset: at(i), length: MAX_EVENT_BYTES, flags: ["truncated"] })),
        // NUL bytes ship as \u0000, six bytes each: cut to what fits in maxEventBytes as shipped.
        { offset: at(4), length: Math.floor(MAX_EVENT_BYTES / 6), flags: ["truncated"] },
        { offset: at(5), length: 12, flags: ["invalid_utf8"] },
        { offset: at(5) + 13, length: 9, flags: [] },
      ]);
      for (const e of got) expect(e.shipped).toBeLessThanOrEqual(MAX_EVENT_BYTES);
      expect(got[4]?.head).toBe("\u0000".repeat(12));
      expect(got[5]?.head).toBe("bad \uFFFD\uFFFD bytes");
    }

    const peak = Math.max(hwm, peakSampled);
    console.log(`memory-bounds: peak RSS ${(peak / MiB).toFixed(0)} MiB (VmHWM ${(hwm / MiB).toFixed(0)} MiB, sampled ${(peakSampled / MiB).toFixed(0)} MiB)`);
    expect(peakSampled).toBeGreaterThan(0);
    expect(peak).toBeLessThan(RSS_LIMIT);
  });
});
