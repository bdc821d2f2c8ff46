/**
 * Bounds on what reading objects may hold: one large record at a time process-wide (the permit),
 * and full garbage collections paced by the bytes read (see decodedBytesRead).
 */
import v8 from "node:v8";
import vm from "node:vm";
import { Permits } from "./permits.ts";

/**
 * Past this many bytes read since the start of the object's latest record (a record being
 * assembled: a long line, a large JSON value, a multiline group, or bytes skipped), reading on
 * takes the large-record permit.
 */
export const LARGE_RECORD_BYTES = 256 * 1024;

/**
 * One object at a time, process-wide, may assemble a record larger than LARGE_RECORD_BYTES (up to
 * maxEventBytes): the others wait before reading on, holding at most that much of a record. So
 * memory holds one large record (with its copies while it is decoded and serialized) however many
 * messages are in flight, not one per message:
 *
 *   memory ≈ fixed + maxMessagesInFlight × (MAX_IN_FLIGHT_BYTES + BATCH_MAX_BYTES (objectProcessor.ts)
 *            + LARGE_RECORD_BYTES + zlib's window and a chunk) + ~3 × maxEventBytes (the holder)
 *
 * The holder never waits for anything but S3 and the output, so waiting for it cannot deadlock.
 * FIFO; a waiter that aborts (shutdown) leaves the queue.
 */
export class LargeRecordPermit extends Permits {
  constructor() {
    super(1);
  }
}

export const LARGE_RECORDS = new LargeRecordPermit();

/** A full garbage collection runs once this many bytes were read under the permit since the last. */
const GC_AFTER_LARGE_BYTES = 8 * 1024 * 1024;
let largeSinceGc = 0;
let gcScheduled = false;

/**
 * A large record leaves its garbage off V8's heap: the decompressed chunks it was read from, its
 * text (Node makes strings of a megabyte and more external) and the output's buffer of it. V8 lets
 * such garbage grow by 100 MB and more before it collects it, as it sees little allocation on its
 * own heap. So the permit's holder asks for a full collection every GC_AFTER_LARGE_BYTES it reads
 * (~10 ms with s3beat's small heap, against the ~100 ms a 10 MiB record takes to read and ship),
 * which keeps that garbage to about one record. Small records never hold the permit: their
 * garbage is V8's young generation, which it collects promptly on its own.
 */
function largeBytesRead(bytes: number): void {
  largeSinceGc += bytes;
  if (largeSinceGc < GC_AFTER_LARGE_BYTES || gcScheduled) return;
  gcScheduled = true;
  // Off the reading code's stack, so that what it has just let go of can be collected.
  setImmediate(() => {
    gcScheduled = false;
    largeSinceGc = 0;
    fullGc();
  });
}

/** A full collection also runs once this many decompressed bytes were read, all objects together. */
const GC_AFTER_DECODED_BYTES = 8 * 1024 * 1024;
let decodedSinceGc = 0;

/**
 * Small events are garbage V8 promotes to its old generation faster than it chooses to collect it:
 * with ten objects of short lines at once, RSS grew past 300 MB while live data stayed under 100 MB
 * (npm run bench, workload A). A full collection every GC_AFTER_DECODED_BYTES (a few per second at
 * full speed, each ~10–30 ms with s3beat's small live heap) keeps RSS near the live data, without a
 * heap cap that would crash on a legitimately large event.
 */
export function decodedBytesRead(bytes: number): void {
  decodedSinceGc += bytes;
  if (decodedSinceGc < GC_AFTER_DECODED_BYTES || gcScheduled) return;
  gcScheduled = true;
  setImmediate(() => {
    gcScheduled = false;
    decodedSinceGc = 0;
    largeSinceGc = 0;
    fullGc();
  });
}

let gcFunction: (() => void) | undefined;

function fullGc(): void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFunction = exposed;
    else {
      // Node has no API for a collection; this is how test runners (Jest) get one without --expose-gc.
      v8.setFlagsFromString("--expose-gc");
      gcFunction = vm.runInNewContext("gc") as () => void;
      v8.setFlagsFromString("--no-expose-gc");
    }
  }
  gcFunction();
}

/** One object's reading, measured against LARGE_RECORD_BYTES. */
export class ReadGate {
  /** Decompressed bytes handed to the decoder. */
  read = 0;
  /** Offset of the latest record the decoder produced: bytes past it are a record in the making. */
  lastOffset = 0;
  readonly #permit: LargeRecordPermit;
  #holding = false;
  /** `read` when last admitted. */
  #admitted = 0;

  constructor(permit: LargeRecordPermit) {
    this.#permit = permit;
  }

  /** Before reading on: takes the permit while a large record is assembled, gives it back after. */
  async admit(signal: AbortSignal): Promise<void> {
    if (this.#holding) largeBytesRead(this.read - this.#admitted);
    this.#admitted = this.read;
    if (this.read - this.lastOffset <= LARGE_RECORD_BYTES) this.release();
    else if (!this.#holding) {
      await this.#permit.acquire(signal);
      this.#holding = true;
    }
  }

  release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#permit.release();
  }
}

/** Passes the decompressed stream through, admitted by `gate` before each read. */
export async function* gated(source: AsyncIterable<Buffer>, gate: ReadGate, signal: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    gate.read += chunk.byteLength;
    yield chunk;
    await gate.admit(signal);
  }
}
