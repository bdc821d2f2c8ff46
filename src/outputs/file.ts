import { mkdir, open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { FileOutputSettings } from "../config/settings.ts";
import { silentLogger } from "../logging/logger.ts";
import { Backoff, formatDelay } from "../util/backoff.ts";
import { lastLineEnd, shiftBackups, syncDirectory, writeAll } from "./fileIo.ts";
import { ndjsonPieces } from "./ndjson.ts";
import type { Output, OutputEvent, OutputObserver } from "./output.ts";
import { definedOnly } from "../util/optional.ts";

export interface FileOutputOptions {
  /** Receives the output's own messages (write failures, recoveries, a torn line cut off). */
  log?: Logger;
  /** Told whether the file can be written (host = the output's name) and of each failed attempt. */
  observer?: Pick<OutputObserver, "connection" | "writeError">;
  /** First delay before a failed write is tried again (default 1 s), doubling up to `backoffMaxMs` (default 30 s). */
  backoffInitMs?: number;
  backoffMaxMs?: number;
  /** Jitter source in [0, 1) for the backoff (tests pass a constant). */
  random?: () => number;
}

/** A published batch as the bytes it appends, and its publish's settlers. */
interface Batch {
  /** Its NDJSON bytes, in pieces written in order. */
  pieces: Buffer[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Failures in a row that are logged as warnings: the first, then every tenth (the others at debug). */
const LOUD_EVERY = 10;

/**
 * Appends events as NDJSON to `<path>/<filename>`, like libbeat's file output. Each batch is
 * written whole and `fdatasync`ed before its publish resolves. Before a batch that would push a
 * non-empty file past `rotateEveryBytes`, the file is rotated: `<filename>` becomes
 * `<filename>.1`, `.1` becomes `.2`, …, keeping at most `numberOfFiles` files (active included).
 *
 * Batches are written in call order; those published while a sync runs are written together and
 * share one `fdatasync` (group commit), so many objects at once cost one sync, not one each.
 * The directory and file are opened lazily. A failed open, write, sync or rotation (a full disk, a permission, an I/O error) is not the batch's
 * failure: the partial write is cut off, the file dropped, and the batch written again after a
 * backoff, for as long as it takes. Its publish stays pending meanwhile, so the pipeline stops
 * taking messages (backpressure) and the ones in progress stay hidden; the observer hears that the
 * output is down, and /readyz says why. `destroy` ends the waiting: pending publishes reject.
 */
export class FileOutput implements Output {
  readonly name = "file";
  /** With an observer the output reports its own state (MeteredOutput leaves it alone). */
  readonly reportsConnections: boolean;
  readonly #settings: FileOutputSettings;
  readonly #file: string;
  readonly #log: Logger;
  readonly #observer: FileOutputOptions["observer"];
  readonly #backoff: Backoff;
  #handle: FileHandle | undefined;
  /** Size of the active file; valid while `handle` is set. */
  #size = 0;
  /**
   * The active file's identity and the size that was last synced whole. Bytes beyond it on reopen
   * are a failed attempt whose cut-off failed too: never acknowledged, so they are cut off.
   */
  #committed: { dev: number; ino: number; size: number } | undefined;
  /** Publishes waiting for the writer, in call order. */
  #waiting: Batch[] = [];
  /** The group being written: every batch waiting when the writer last looked. */
  #group: Batch[] = [];
  /** The writer, while it runs; settles (never rejects) once nothing waits. */
  #writer: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Aborted by destroy: retries stop and the backoff sleep ends. */
  readonly #stopped = new AbortController();
  /** Failed attempts since a group was last written. */
  #failures = 0;

  constructor(settings: FileOutputSettings, opts: FileOutputOptions = {}) {
    this.#settings = settings;
    this.#file = join(settings.path, settings.filename);
    this.#log = opts.log ?? silentLogger();
    this.#observer = opts.observer;
    this.reportsConnections = opts.observer !== undefined;
    this.#backoff = new Backoff(opts.backoffInitMs ?? 1000, opts.backoffMaxMs ?? 30_000, opts.random);
    this.#observer?.connection(this.name, true);
  }

  /**
   * Resolves once the batch is written and `fdatasync`ed; waits (retrying) while the file cannot
   * be written. Batches published while a sync runs are written together after it and share the
   * next sync (group commit): one `fdatasync` per group, not per batch.
   */
  publish(events: readonly OutputEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`file output ${this.#file} is closed`));
    if (events.length === 0) return Promise.resolve();
    let pieces: Buffer[];
    try {
      pieces = ndjsonPieces(events);
    } catch (err) {
      return Promise.reject(err);
    }
    const bytes = pieces.reduce((n, p) => n + p.length, 0);
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ pieces, bytes, resolve, reject });
      this.#writer ??= this.#drain();
    });
  }

  /** Waits for pending publishes (however long a failing file takes: see destroy), then closes the file. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#idle().then(() => this.#drop());
    return this.#closing;
  }

  /**
   * Stops retrying and rejects every pending publish now (their messages are not deleted, so their
   * events come again). Does not wait for a file operation stuck in the kernel; the file is closed
   * once it returns.
   */
  async destroy(reason: string): Promise<void> {
    this.#closed = true;
    if (!this.#stopped.signal.aborted) {
      const err = new Error(`file output ${this.#file} stopped (${reason}) before the events were written; they are not acknowledged`);
      this.#stopped.abort(err);
      for (const batch of [...this.#group.splice(0), ...this.#waiting.splice(0)]) batch.reject(err);
    }
    this.#closing ??= this.#idle().then(() => this.#drop());
    this.#closing.catch(() => undefined);
  }

  /** Settles once the writer has stopped. */
  async #idle(): Promise<void> {
    while (this.#writer) await this.#writer;
  }

  /** Writes groups until nothing waits; each group is retried with backoff until durable or destroyed. */
  async #drain(): Promise<void> {
    try {
      while (this.#waiting.length > 0 && !this.#stopped.signal.aborted) {
        this.#group = this.#waiting.splice(0);
        while (this.#group.length > 0 && !this.#stopped.signal.aborted) {
          try {
            await this.#attempt(this.#group);
          } catch (err) {
            if (this.#stopped.signal.aborted) break;
            await this.#failed(err);
            continue;
          }
          if (this.#failures > 0) this.#recovered();
        }
      }
    } finally {
      this.#writer = undefined;
    }
  }

  /**
   * One try at a group: open, write each batch (rotating before one that would take the file past
   * `rotateEveryBytes`), sync. Batches are resolved (and taken off `group`) as soon as a sync made
   * them durable; on failure the unsynced bytes are cut off and the file dropped.
   */
  async #attempt(group: Batch[]): Promise<void> {
    let handle = await this.#ensureOpen();
    let written = 0;
    const commit = async () => {
      await handle.datasync();
      if (this.#committed) this.#committed.size = this.#size;
      for (const batch of group.splice(0, written)) batch.resolve();
      written = 0;
    };
    try {
      while (written < group.length) {
        const { pieces, bytes } = group[written]!;
        if (this.#size > 0 && this.#size + bytes > this.#settings.rotateEveryBytes) {
          if (written > 0) await commit();
          await this.#rotate();
          handle = await this.#ensureOpen();
        }
        await writeAll(handle, pieces, bytes);
        this.#size += bytes;
        written++;
      }
      await commit();
    } catch (err) {
      // Cut the unsynced batches off so the next attempt does not continue a half-written line.
      // Should the cut fail too, the reopen cuts back to `committed`.
      if (this.#handle === handle && this.#committed) await handle.truncate(this.#committed.size).catch(() => undefined);
      await this.#drop().catch(() => undefined);
      throw new Error(`file output: writing ${this.#file} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Counts, reports and logs (throttled) a failed attempt, then waits out the backoff. */
  async #failed(err: unknown): Promise<void> {
    this.#failures++;
    const delayMs = this.#backoff.next();
    const message = messageOf(err);
    const code = codeOf(err);
    this.#observer?.writeError();
    this.#observer?.connection(this.name, false, message);
    const loud = this.#failures <= 1 || this.#failures % LOUD_EVERY === 0;
    this.#log[loud ? "warn" : "debug"](
      definedOnly({ "file.path": this.#file, "error.code": code || undefined, failures: this.#failures, retryInMs: delayMs }),
      `${message}; retrying in ${formatDelay(delayMs)} (failure ${this.#failures} in a row; events are kept and written when it succeeds)`,
    );
    await sleep(delayMs, undefined, { signal: this.#stopped.signal }).catch(() => undefined);
  }

  #recovered(): void {
    this.#log.info(
      { "file.path": this.#file, failures: this.#failures },
      `file output: writing ${this.#file} works again (after ${this.#failures} failed attempts)`,
    );
    this.#failures = 0;
    this.#backoff.reset();
    this.#observer?.connection(this.name, true);
  }

  /** Opens (creating directory and file as needed) the active file, or returns the open one. */
  async #ensureOpen(): Promise<FileHandle> {
    if (this.#handle !== undefined) return this.#handle;
    const { path, permissions } = this.#settings;
    let handle: FileHandle | undefined;
    try {
      await mkdir(path, { recursive: true });
      let created = true;
      try {
        handle = await open(this.#file, "ax", permissions);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        created = false;
        handle = await open(this.#file, "a+");
      }
      if (created) {
        // The mode passed to open() is filtered by the umask.
        await handle.chmod(permissions);
        await syncDirectory(path);
      }
      const { size, dev, ino } = await handle.stat();
      const last = this.#committed;
      const ours = last !== undefined && last.dev === dev && last.ino === ino && size >= last.size;
      const keep = ours ? last.size : await lastLineEnd(handle, size);
      if (keep < size) {
        await handle.truncate(keep);
        this.#log[ours ? "debug" : "warn"](
          { "file.path": this.#file, bytes: size - keep },
          ours
            ? `file output: cut off ${size - keep} bytes of a failed write at the end of ${this.#file}`
            : `file output: cut off a torn last line (${size - keep} bytes without a final newline, left by a process stopped mid-write; never acknowledged, so its events are sent again) at the end of ${this.#file}`,
        );
      }
      this.#size = keep;
      this.#committed = { dev, ino, size: keep };
    } catch (err) {
      await handle?.close().catch(() => undefined);
      throw new Error(`file output: cannot open ${this.#file}: ${messageOf(err)}`, { cause: err });
    }
    this.#handle = handle;
    return handle;
  }

  /** Closes the active file and shifts the numbered backups up by one, dropping the oldest. */
  async #rotate(): Promise<void> {
    try {
      await this.#drop();
      await shiftBackups(this.#settings);
    } catch (err) {
      throw new Error(`file output: rotating ${this.#file} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Forgets the active file so the next publish reopens it. */
  async #drop(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first error code (ENOSPC, EACCES, EIO, …) along the cause chain. */
function codeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}
