import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FileOutputSettings } from "../../src/config/settings.ts";
import { FileOutput } from "../../src/outputs/file.ts";
import { ConsoleOutput } from "../../src/outputs/console.ts";
import { createOutput } from "../../src/outputs/index.ts";
import { buildEvent, type BeatEvent } from "../../src/pipeline/event.ts";

let root: string;
let outputs: FileOutput[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "s3beat-file-output-"));
  outputs = [];
});

afterEach(async () => {
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

function fileOutput(s: FileOutputSettings): FileOutput {
  const output = new FileOutput(s);
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

  it("after a torn last line (a killed writer) starts the next event on a line of its own", async () => {
    const s = settings();
    await mkdir(s.path, { recursive: true });
    const whole = events(1);
    await writeFile(join(s.path, "s3beat"), JSON.stringify(whole[0]) + "\n" + '{"message":"torn frag');
    const next = events(2, 1);
    await fileOutput(s).publish(next);
    const lines = (await readFile(join(s.path, "s3beat"), "utf8")).split("\n");
    expect(lines).toEqual([JSON.stringify(whole[0]), '{"message":"torn frag', JSON.stringify(next[0]), JSON.stringify(next[1]), ""]);
  });

  it("fails a publish while the directory cannot be created, and recovers on the next one", async () => {
    const s = settings({ path: join(root, "blocked") });
    await writeFile(s.path, "not a directory");
    const output = fileOutput(s);

    const failure = await output.publish(events(1)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain(join(s.path, "s3beat"));
    expect((failure as Error).message).toMatch(/EEXIST|ENOTDIR/);
    expect((failure as Error).cause).toBeInstanceOf(Error);

    await rm(s.path);
    const recovered = events(2, 1);
    await output.publish(recovered);
    await output.close();
    expect(await readEvents(join(s.path, "s3beat"))).toEqual(recovered);
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
