import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FileOutputSettings } from "../../src/config/settings.ts";
import { FileOutput, type FileOutputOptions } from "../../src/outputs/file.ts";
import { ConsoleOutput } from "../../src/outputs/console.ts";
import { createOutput } from "../../src/outputs/index.ts";
import { buildEvent, type BeatEvent } from "../../src/events/event.ts";

let root: string;
let outputs: FileOutput[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "s3beat-file-output-"));
  outputs = [];
});

afterEach(async () => {
  // destroy: a test that left an output retrying must not hang here.
  await Promise.allSettled(outputs.map((o) => o.destroy("test done")));
  await Promise.allSettled(outputs.map((o) => o.close()));
  await rm(root, { recursive: true, force: true });
});

function settings(overrides: Partial<FileOutputSettings> = {}): FileOutputSettings {
  return {
    kind: "file",
    path: join(root, "out", "nested"),
    filename: "s3beat",
    rotateEveryBytes: 10 * 1024 * 1024,
    numberOfFiles: 7,
    permissions: 0o600,
    ...overrides,
  };
}

function fileOutput(s: FileOutputSettings, opts?: FileOutputOptions): FileOutput {
  const output = new FileOutput(s, opts);
  outputs.push(output);
  return output;
}

/** Events of identical serialized length (fixed-width offsets and messages), numbered from `from`. */
function events(count: number, from = 0): BeatEvent[] {
  const ref = { bucket: "logs", key: "app/01.log", region: "eu-west-1" };
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const record = { offset: 1_000_000 + n, text: `event ${String(n).padStart(6, "0")}`, truncated: false };
    return buildEvent(ref, record, "0.1.0", new Date(0));
  });
}

const lineBytes = Buffer.byteLength(JSON.stringify(events(1)[0]) + "\n");

async function readEvents(file: string): Promise<BeatEvent[]> {
  const text = await readFile(file, "utf8");
  if (text === "") return [];
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as BeatEvent);
}

/** Log lines as pino JSON objects (level numbers: 20 debug, 30 info, 40 warn). */
function captureLogs(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: "debug" }, sink), lines };
}

/** A small tmpfs (a real disk that fills up), or why there is none (not root, no mount). */
async function mountTmpfs(size: string): Promise<{ path: string; remove(): Promise<void> } | string> {
  const path = await mkdtemp(join(tmpdir(), "s3beat-file-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path], { stdio: "pipe" });
  } catch (err) {
    await rm(path, { recursive: true, force: true });
    return `cannot mount a tmpfs: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
  return {
    path,
    remove: async () => {
      try {
        execFileSync("umount", [path], { stdio: "pipe" });
      } catch {
        execFileSync("umount", ["-l", path], { stdio: "pipe" }); // a file still open (a failed test): detach
      }
      await rm(path, { recursive: true, force: true });
    },
  };
}

describe("FileOutput", () => {
  it("creates nothing until the first publish, then writes NDJSON that round-trips", async () => {
    const s = settings();
    const output = fileOutput(s);
    await expect(stat(s.path)).rejects.toThrow(/ENOENT/);
    const first = events(3);
    const second = events(2, 3);
    await output.publish(first);
    await output.publish([]);
    await output.publish(second);
    await output.close();
    expect(await readdir(s.path)).toEqual(["s3beat"]);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual([...first, ...second]);
  });

  it("syncs the data before a publish resolves", async () => {
    const probe = await open(join(root, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const datasync = vi.spyOn(proto, "datasync");
    try {
      const output = fileOutput(settings());
      await output.publish(events(1));
      expect(datasync).toHaveBeenCalledTimes(1);
      await output.publish(events(1, 1));
      expect(datasync).toHaveBeenCalledTimes(2);
    } finally {
      datasync.mockRestore();
    }
  });

  it("group commit: batches published during a sync share the next one, and none resolves before its sync completes", async () => {
    const probe = await open(join(root, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const real = proto.datasync;
    const gates: Array<() => void> = [];
    // Every sync waits for the test to let it finish (and then really syncs).
    const datasync = vi.spyOn(proto, "datasync").mockImplementation(function (this: unknown) {
      return new Promise<void>((release) => gates.push(release)).then(() => real.call(this));
    });
    try {
      const output = fileOutput(settings());
      const resolved: number[] = [];
      const publish = (n: number) => output.publish(events(1, n)).then(() => void resolved.push(n));
      const first = publish(0);
      await vi.waitFor(() => expect(gates).toHaveLength(1));
      const rest = [1, 2, 3, 4].map(publish);
      await new Promise((r) => setTimeout(r, 20));
      expect(resolved).toEqual([]); // the first sync has not finished: nothing is durable yet
      gates.shift()!();
      await first;
      expect(resolved).toEqual([0]);
      await vi.waitFor(() => expect(gates).toHaveLength(1)); // one sync for the four others
      expect(resolved).toEqual([0]);
      gates.shift()!();
      await Promise.all(rest);
      expect(resolved).toEqual([0, 1, 2, 3, 4]);
      expect(datasync).toHaveBeenCalledTimes(2);
      await output.close();
      expect((await readEvents(join(settings().path, "s3beat"))).map((e) => e.message)).toEqual(events(5).map((e) => e.message));
    } finally {
      datasync.mockRestore();
    }
  });

  it("rotates by size, keeps number_of_files files and drops the oldest events", async () => {
    const s = settings({ rotateEveryBytes: 3 * lineBytes, numberOfFiles: 3 });
    const output = fileOutput(s);
    const all = events(20);
    for (const event of all) await output.publish([event]);
    await output.close();

    expect((await readdir(s.path)).sort()).toEqual(["s3beat", "s3beat.1", "s3beat.2"]);
    const perFile = await Promise.all(["s3beat.2", "s3beat.1", "s3beat"].map((f) => readEvents(join(s.path, f))));
    // 20 events, 3 per file: the active file holds 18–19, .1 holds 15–17, .2 holds 12–14.
    expect(perFile.map((f) => f.length)).toEqual([3, 3, 2]);
    expect(perFile.flat()).toEqual(all.slice(12));
    for (const f of ["s3beat", "s3beat.1", "s3beat.2"]) {
      expect((await stat(join(s.path, f))).size).toBeLessThanOrEqual(s.rotateEveryBytes);
    }
  });

  it("puts a batch larger than the limit whole into a fresh file", async () => {
    const s = settings({ rotateEveryBytes: 3 * lineBytes, numberOfFiles: 4 });
    const output = fileOutput(s);
    const small = events(1);
    const big = events(5, 1);
    const last = events(1, 6);
    await output.publish(small);
    await output.publish(big);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual(big);
    expect(await readEvents(join(s.path, "s3beat.1"))).toEqual(small);
    await output.publish(last);
    await output.close();
    expect(await readEvents(join(s.path, "s3beat"))).toEqual(last);
    expect(await readEvents(join(s.path, "s3beat.1"))).toEqual(big);
    expect(await readEvents(join(s.path, "s3beat.2"))).toEqual(small);
    expect((await readdir(s.path)).sort()).toEqual(["s3beat", "s3beat.1", "s3beat.2"]);
  });

  it("writes an oversized first batch into the active file without rotating an empty one", async () => {
    const s = settings({ rotateEveryBytes: 2 * lineBytes, numberOfFiles: 3 });
    const output = fileOutput(s);
    const big = events(4);
    await output.publish(big);
    await output.close();
    expect(await readdir(s.path)).toEqual(["s3beat"]);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual(big);
  });

  it("on rotation deletes backups numbered beyond the limit, leaving other files alone", async () => {
    const s = settings({ rotateEveryBytes: lineBytes, numberOfFiles: 3 });
    await mkdir(s.path, { recursive: true });
    // Leftovers of a run configured with more files, and files that are not backups.
    for (const name of ["s3beat.5", "s3beat.9", "s3beat.05", "s3beat.old", "other.log"]) {
      await writeFile(join(s.path, name), "x\n");
    }
    const output = fileOutput(s);
    await output.publish(events(1));
    await output.publish(events(1, 1));
    await output.close();
    expect((await readdir(s.path)).sort()).toEqual(["other.log", "s3beat", "s3beat.05", "s3beat.1", "s3beat.old"]);
  });

  it("creates files with the configured permissions, whatever the umask", async () => {
    const strict = settings({ path: join(root, "strict") });
    await fileOutput(strict).publish(events(1));
    expect((await stat(join(strict.path, "s3beat"))).mode & 0o777).toBe(0o600);

    // 0666 is narrowed by the usual 022 umask unless the output chmods explicitly.
    const open666 = settings({ path: join(root, "open"), permissions: 0o666 });
    await fileOutput(open666).publish(events(1));
    expect((await stat(join(open666.path, "s3beat"))).mode & 0o777).toBe(0o666);
  });

  it("rotated-in files get the configured permissions too", async () => {
    const s = settings({ rotateEveryBytes: lineBytes, numberOfFiles: 2 });
    const output = fileOutput(s);
    await output.publish(events(1));
    await output.publish(events(1, 1));
    for (const f of ["s3beat", "s3beat.1"]) {
      expect((await stat(join(s.path, f))).mode & 0o777).toBe(0o600);
    }
  });

  it("appends to an existing file and counts its size for rotation", async () => {
    const s = settings({ rotateEveryBytes: 4 * lineBytes, numberOfFiles: 3 });
    await mkdir(s.path, { recursive: true });
    const previous = events(2);
    await writeFile(join(s.path, "s3beat"), previous.map((e) => JSON.stringify(e) + "\n").join(""));

    const output = fileOutput(s);
    const next = events(2, 2);
    await output.publish(next);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual([...previous, ...next]);
    expect(await readdir(s.path)).toEqual(["s3beat"]);

    // 4 lines already there: one more would pass the limit.
    const overflow = events(1, 4);
    await output.publish(overflow);
    await output.close();
    expect(await readEvents(join(s.path, "s3beat.1"))).toEqual([...previous, ...next]);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual(overflow);
  });

  it("cuts off a torn last line (a killed writer) before appending", async () => {
    const s = settings();
    await mkdir(s.path, { recursive: true });
    const whole = events(1);
    await writeFile(join(s.path, "s3beat"), JSON.stringify(whole[0]) + "\n" + '{"message":"torn frag');
    const { log, lines: logs } = captureLogs();
    const next = events(2, 1);
    await fileOutput(s, { log }).publish(next);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual([...whole, ...next]);
    const cut = logs.find((l) => String(l.msg).includes("torn last line"));
    expect(cut).toMatchObject({ level: 40, bytes: '{"message":"torn frag'.length });
  });

  it("empties a file that holds only a fragment, found by reading backwards past several chunks", async () => {
    const s = settings();
    await mkdir(s.path, { recursive: true });
    // 200 KiB without a newline: longer than one backwards read.
    await writeFile(join(s.path, "s3beat"), "x".repeat(200 * 1024));
    const next = events(1);
    await fileOutput(s).publish(next);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual(next);
  });

  it("finds the last newline far back in a large file and keeps everything before it", async () => {
    const s = settings();
    await mkdir(s.path, { recursive: true });
    const previous = events(300);
    const fragment = '{"message":"' + "y".repeat(150 * 1024);
    await writeFile(join(s.path, "s3beat"), previous.map((e) => JSON.stringify(e) + "\n").join("") + fragment);
    const next = events(1, 300);
    await fileOutput(s).publish(next);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual([...previous, ...next]);
  });

  it("leaves a file that ends with a newline as it is", async () => {
    const s = settings();
    await mkdir(s.path, { recursive: true });
    const previous = events(2);
    const text = previous.map((e) => JSON.stringify(e) + "\n").join("");
    await writeFile(join(s.path, "s3beat"), text);
    const { log, lines: logs } = captureLogs();
    const next = events(1, 2);
    await fileOutput(s, { log }).publish(next);
    expect((await readFile(join(s.path, "s3beat"), "utf8")).startsWith(text)).toBe(true);
    expect(await readEvents(join(s.path, "s3beat"))).toEqual([...previous, ...next]);
    expect(logs.filter((l) => String(l.msg).includes("cut off"))).toEqual([]);
  });

  it("retries a failing write with backoff, reports the output down, and resolves only once written", async () => {
    const s = settings({ path: join(root, "blocked") });
    await writeFile(s.path, "not a directory");
    const { log, lines: logs } = captureLogs();
    const states: { up: boolean; reason?: string }[] = [];
    let writeErrors = 0;
    const observer = {
      connection: (_host: string, up: boolean, reason?: string) => states.push({ up, ...(reason ? { reason } : {}) }),
      writeError: () => void writeErrors++,
    };
    const output = fileOutput(s, { log, observer, backoffInitMs: 10, backoffMaxMs: 40, random: () => 0.999 });
    expect(output.reportsConnections).toBe(true);

    let settled = false;
    const batch = events(2);
    const publish = output.publish(batch).finally(() => (settled = true));
    const later = events(1, 2);
    const queued = output.publish(later);
    await vi.waitFor(() => expect(writeErrors).toBeGreaterThanOrEqual(12), { timeout: 5000, interval: 10 });
    expect(settled).toBe(false);

    // Still down and still pending: the first failure and every tenth warn, the others are debug.
    const failures = logs.filter((l) => String(l.msg).includes("retrying in"));
    expect(failures[0]).toMatchObject({ level: 40, "error.code": expect.stringMatching(/EEXIST|ENOTDIR/), "file.path": join(s.path, "s3beat"), failures: 1 });
    expect(failures[0]?.msg).toContain("events are kept and written when it succeeds");
    expect(failures[0]?.msg).toContain(join(s.path, "s3beat"));
    expect(failures.filter((l) => l.level === 40).map((l) => l.failures)).toEqual(
      failures.filter((l) => l.failures === 1 || Number(l.failures) % 10 === 0).map((l) => l.failures),
    );
    expect(failures.slice(1, 9).every((l) => l.level === 20)).toBe(true);
    // Doubling, capped at the maximum.
    expect(failures.slice(0, 4).map((l) => l.retryInMs)).toEqual([10, 20, 40, 40]);
    expect(states[0]).toEqual({ up: true });
    expect(states.at(-1)).toMatchObject({ up: false, reason: expect.stringMatching(/cannot open .*(EEXIST|ENOTDIR)/) });

    await rm(s.path);
    await publish;
    await queued;
    expect(await readEvents(join(s.path, "s3beat"))).toEqual([...batch, ...later]);
    expect(states.at(-1)).toEqual({ up: true });
    expect(logs.find((l) => String(l.msg).includes("works again"))).toMatchObject({ level: 30 });
  });

  it("on a full disk cuts the partial batch off and writes it whole once there is space", async (ctx) => {
    const tmpfs = await mountTmpfs("64k");
    if (typeof tmpfs === "string") {
      console.log(`full-disk unit test skipped: ${tmpfs}`);
      ctx.skip(tmpfs);
      return;
    }
    try {
      const s = settings({ path: tmpfs.path });
      const first = events(5);
      const { log, lines: logs } = captureLogs();
      const output = fileOutput(s, { log, backoffInitMs: 20, backoffMaxMs: 20 });
      await output.publish(first);
      // Fill the disk up to the last page: the next batch fits only partly.
      const filler = join(tmpfs.path, "filler");
      await writeFile(filler, Buffer.alloc(64 * 1024 - 2 * 4096 - 4096));
      const big = events(40, 5); // several pages
      expect(big.length * lineBytes).toBeGreaterThan(3 * 4096);
      let settled = false;
      const publish = output.publish(big).finally(() => (settled = true));
      await vi.waitFor(() => expect(logs.some((l) => l["error.code"] === "ENOSPC")).toBe(true), { timeout: 5000, interval: 10 });
      expect(settled).toBe(false);
      // Meanwhile the file holds no piece of the batch.
      expect(await readEvents(join(s.path, "s3beat"))).toEqual(first);
      await rm(filler);
      await publish;
      expect(await readEvents(join(s.path, "s3beat"))).toEqual([...first, ...big]);
      await output.close();
    } finally {
      await outputs.at(-1)?.destroy("test done");
      await tmpfs.remove();
    }
  });

  it("after a failed sync whose cut-off failed too, cuts the unacknowledged bytes on reopen and writes the batch once", async () => {
    const probe = await open(join(root, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void>; truncate(len?: number): Promise<void> };
    await probe.close();
    const eio = () => Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    const s = settings();
    const { log, lines: logs } = captureLogs();
    const output = fileOutput(s, { log, backoffInitMs: 5, backoffMaxMs: 5 });
    const first = events(2);
    await output.publish(first);
    const datasync = vi.spyOn(proto, "datasync").mockRejectedValueOnce(eio());
    const truncate = vi.spyOn(proto, "truncate").mockRejectedValueOnce(eio());
    try {
      const second = events(3, 2);
      await output.publish(second);
      expect(datasync).toHaveBeenCalledTimes(2);
      expect(await readEvents(join(s.path, "s3beat"))).toEqual([...first, ...second]);
      expect(logs.find((l) => String(l.msg).includes("retrying in"))).toMatchObject({ level: 40, "error.code": "EIO" });
      expect(logs.find((l) => String(l.msg).includes("of a failed write"))).toMatchObject({ bytes: 3 * lineBytes });
    } finally {
      datasync.mockRestore();
      truncate.mockRestore();
    }
  });

  it("destroy rejects pending publishes at once and stops retrying; later publishes reject", async () => {
    const s = settings({ path: join(root, "blocked") });
    await writeFile(s.path, "not a directory");
    let writeErrors = 0;
    const output = fileOutput(s, { observer: { connection: () => undefined, writeError: () => void writeErrors++ }, backoffInitMs: 60_000 });
    const first = output.publish(events(1));
    const second = output.publish(events(1, 1));
    await vi.waitFor(() => expect(writeErrors).toBe(1));
    const closing = output.close();
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false); // close waits for the batches, however long
    await output.destroy("shutdown");
    await expect(first).rejects.toThrow(/stopped \(shutdown\).*not acknowledged/);
    await expect(second).rejects.toThrow(/stopped \(shutdown\)/);
    await closing;
    await expect(output.publish(events(1, 2))).rejects.toThrow(/closed/);
    expect(writeErrors).toBe(1);
    await rm(s.path);
    await expect(stat(join(s.path, "s3beat"))).rejects.toThrow(/ENOENT/);
  });

  it("completes 50 concurrent publishes in call order, even across rotations", async () => {
    const s = settings({ rotateEveryBytes: 10 * lineBytes, numberOfFiles: 50 });
    const output = fileOutput(s);
    const batches = Array.from({ length: 50 }, (_, i) => events((i % 3) + 1, i * 10));
    const completed: number[] = [];
    await Promise.all(batches.map((batch, i) => output.publish(batch).then(() => completed.push(i))));
    await output.close();

    expect(completed).toEqual(batches.map((_, i) => i));
    const names = (await readdir(s.path)).filter((n) => n !== "s3beat");
    const ordered = names.sort((a, b) => Number(b.split(".")[1]) - Number(a.split(".")[1]));
    const written: BeatEvent[] = [];
    for (const name of [...ordered, "s3beat"]) written.push(...(await readEvents(join(s.path, name))));
    expect(names.length).toBeGreaterThan(0);
    expect(written).toEqual(batches.flat());
  });

  it("close waits for pending publishes, is idempotent, and later publishes reject", async () => {
    const s = settings();
    const output = fileOutput(s);
    const pending = output.publish(events(3));
    const closing = output.close();
    await expect(output.publish(events(1, 3))).rejects.toThrow(/closed/);
    await pending;
    await closing;
    await output.close();
    expect(await readEvents(join(s.path, "s3beat"))).toEqual(events(3));
  });
});

describe("createOutput", () => {
  it("builds the output the settings name", async () => {
    const file = createOutput(settings());
    expect(file).toBeInstanceOf(FileOutput);
    expect(file.name).toBe("file");
    const stdout = createOutput({ kind: "console", pretty: false });
    expect(stdout).toBeInstanceOf(ConsoleOutput);
    expect(stdout.name).toBe("console");
    await Promise.all([file.close(), stdout.close()]);
  });
});
