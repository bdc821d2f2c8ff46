import { mkdir, open, readdir, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { FileOutputSettings } from "../config/settings.ts";
import { encodeNdjson } from "./ndjson.ts";
import type { Output, OutputEvent } from "./output.ts";

/**
 * Appends events as NDJSON to `<path>/<filename>`, like libbeat's file output. Each batch is
 * written whole and `fdatasync`ed before its publish resolves. Before a batch that would push a
 * non-empty file past `rotateEveryBytes`, the file is rotated: `<filename>` becomes
 * `<filename>.1`, `.1` becomes `.2`, …, keeping at most `numberOfFiles` files (active included).
 *
 * Publishes run one at a time in call order. The directory and file are opened lazily, and any
 * failure drops the open file so that the next publish starts again from scratch.
 */
export class FileOutput implements Output {
  readonly name = "file";
  private readonly settings: FileOutputSettings;
  private readonly file: string;
  private handle: FileHandle | undefined;
  /** Size of the active file; valid while `handle` is set. */
  private size = 0;
  /** Settles (never rejects) when every publish issued so far has finished. */
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(settings: FileOutputSettings) {
    this.settings = settings;
    this.file = join(settings.path, settings.filename);
  }

  publish(events: readonly OutputEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`file output ${this.file} is closed`));
    const run = this.tail.then(() => this.write(events));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for pending publishes, then closes the file. Idempotent. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.tail.then(() => this.drop());
    return this.closing;
  }

  private async write(events: readonly OutputEvent[]): Promise<void> {
    if (events.length === 0) return;
    const data = encodeNdjson(events);

    let handle = await this.ensureOpen();
    if (this.size > 0 && this.size + data.length > this.settings.rotateEveryBytes) {
      await this.rotate();
      handle = await this.ensureOpen();
    }

    const before = this.size;
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written);
        written += bytesWritten;
      }
      await handle.datasync();
      this.size += data.length;
    } catch (err) {
      // Cut a partial batch off so the next batch does not continue a half-written line.
      await handle.truncate(before).catch(() => undefined);
      await this.drop().catch(() => undefined);
      throw new Error(`file output: writing ${this.file} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Opens (creating directory and file as needed) the active file, or returns the open one. */
  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle !== undefined) return this.handle;
    const { path, permissions } = this.settings;
    let handle: FileHandle | undefined;
    try {
      await mkdir(path, { recursive: true });
      let created = true;
      try {
        handle = await open(this.file, "ax", permissions);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        created = false;
        handle = await open(this.file, "a+");
      }
      if (created) {
        // The mode passed to open() is filtered by the umask.
        await handle.chmod(permissions);
        await syncDirectory(path);
      }
      this.size = (await handle.stat()).size;
      await endWithNewline(handle, this.size).then((added) => (this.size += added));
    } catch (err) {
      await handle?.close().catch(() => undefined);
      throw new Error(`file output: cannot open ${this.file}: ${messageOf(err)}`, { cause: err });
    }
    this.handle = handle;
    return handle;
  }

  /** Closes the active file and shifts the numbered backups up by one, dropping the oldest. */
  private async rotate(): Promise<void> {
    const { path, filename, numberOfFiles } = this.settings;
    try {
      await this.drop();
      // Delete every backup that would end up numbered numberOfFiles or higher after the shift,
      // including leftovers from a run configured with more files.
      const pattern = new RegExp(`^${escapeRegExp(filename)}\\.([1-9]\\d*)$`);
      for (const name of await readdir(path)) {
        const match = pattern.exec(name);
        if (match && Number(match[1]) >= numberOfFiles - 1) await unlinkIfExists(join(path, name));
      }
      for (let i = numberOfFiles - 2; i >= 1; i--) {
        await renameIfExists(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      }
      // Settings validation keeps numberOfFiles >= 2; with fewer there is no room for a backup.
      if (numberOfFiles >= 2) await rename(this.file, `${this.file}.1`);
      else await unlink(this.file);
    } catch (err) {
      throw new Error(`file output: rotating ${this.file} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Forgets the active file so the next publish reopens it. */
  private async drop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/** fsync the directory so that a newly created file's entry survives a crash, not only its data. */
async function syncDirectory(path: string): Promise<void> {
  if (process.platform === "win32") return; // directories cannot be opened for fsync there
  const dir = await open(path, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A process killed mid-write can leave a torn last line. Appending to it would glue the next
 * event onto the fragment and corrupt both, so a missing final newline is added first.
 */
async function endWithNewline(handle: FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return 0;
  await handle.write("\n");
  return 1;
}
