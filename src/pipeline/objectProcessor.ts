import v8 from "node:v8";
import vm from "node:vm";
import type { Logger } from "pino";
import type { Output } from "../outputs/output.ts";
import type { Decoder } from "../objects/decoders/decoder.ts";
import { CorruptGzipError, DEFAULT_OBJECT_LIMITS, ObjectTooLargeError, decompressIfGzip } from "../objects/gzip.ts";
import type { ObjectGetter } from "../objects/s3Objects.ts";
import type { ObjectOutcome } from "./decision.ts";
import { ObjectError, type Poison, type WorkContext } from "./errors.ts";
import { describeCause, isNoSuchKey } from "../aws/sdkErrors.ts";
import { buildEvent, eventEncoder, shippedSizer, type ObjectRef } from "../events/event.ts";
import { BatchBuilder } from "./batch.ts";
import { isLargeObject, Permits } from "./permits.ts";
import type { QueueMetrics } from "../telemetry/metrics.ts";
import { abortableIterable, untilAborted } from "../util/abort.ts";
import type { ByteBudget } from "./budget.ts";
import { formatByteSize } from "../config/units.ts";

export interface ObjectProcessorDeps {
  objects: ObjectGetter;
  /** The decoder for an object key (file selectors choose per key). */
  decoderFor: (key: string) => Decoder;
  output: Output;
  /** The counters of the queue the object's message came from. */
  metrics: QueueMetrics;
  log: Logger;
  version: string;
  /** The beat's identity carried by every event. */
  beatIdentifier?: string;
  keyInclude?: RegExp;
  keyExclude?: RegExp;
  /** Events per published batch (default 1024). */
  batchMaxEvents?: number;
  /**
   * Bytes per published batch as shipped: the events' JSON documents (default 1 MiB). A batch
   * goes out before an event would take it past this; an event larger than this goes alone.
   */
  batchMaxBytes?: number;
  /**
   * Unacknowledged batches per object (default 4). With `batchMaxBytes` this is what bounds memory
   * while the output is slow: the reader stops pulling from S3 while the object has this many
   * batches, or `maxBatchesInFlight × batchMaxBytes` shipped bytes, unacknowledged.
   */
  maxBatchesInFlight?: number;
  /** Bytes (as shipped) in flight for the whole process, shared by every object being read. */
  budget?: ByteBudget;
  /** s3beat.maxObjectBytes: decompressed bytes read from one object at most (default 10 GiB). */
  maxObjectBytes?: number;
  /** s3beat.maxCompressionRatio: decompressed/compressed ratio of a gzip object at most, past 64 MiB (default 1000). */
  maxCompressionRatio?: number;
  /**
   * s3beat.maxLargeObjectsInFlight: objects of LARGE_OBJECT_BYTES or more (or of unknown size) read
   * at once, process-wide; none when undefined. Reading is CPU-bound where objects are large, so
   * more of them at once only adds memory (and GC); small objects, where waiting on S3, the output
   * and SQS dominates, are bounded by maxMessagesInFlight alone.
   */
  largeObjects?: Permits;
  /** Who may assemble a record past LARGE_RECORD_BYTES (default: the process's one permit; tests pass their own). */
  largeRecords?: LargeRecordPermit;
}

export function keySelected(key: string, include?: RegExp, exclude?: RegExp): boolean {
  if (include && !include.test(key)) return false;
  if (exclude && exclude.test(key)) return false;
  return true;
}

/**
 * Reads one object and publishes its events. Resolves with the outcome once every event is
 * acknowledged by the output; throws ObjectError (with queue/message/bucket/key) otherwise.
 *
 * An object that decompresses past `maxObjectBytes`, or whose gzip data expands more than
 * `maxCompressionRatio` times, is read up to there only: the events before are shipped, the object
 * is counted `too_large` and logged once, and it resolves "delivered" (delivered with truncation),
 * so its message is deleted. Retrying could not help: every read stops at the same place and ships
 * the same events again, and a decompression bomb would be unpacked again on every receive.
 */
export async function processObject(
  ref: ObjectRef,
  ctx: WorkContext,
  deps: ObjectProcessorDeps,
  signal: AbortSignal,
): Promise<ObjectOutcome> {
  const where: WorkContext = { ...ctx, bucket: ref.bucket, key: ref.key };
  if (!keySelected(ref.key, deps.keyInclude, deps.keyExclude)) {
    deps.metrics.object("filtered");
    deps.log.debug(where, "object skipped by keyInclude/keyExclude");
    return "filtered";
  }
  const permits = isLargeObject(ref.size) ? deps.largeObjects : undefined;
  if (permits === undefined) return readObject(ref, where, deps, signal);
  await permits.acquire(signal);
  try {
    return await readObject(ref, where, deps, signal);
  } finally {
    permits.release();
  }
}

/** Gets, decodes and publishes the object (processObject after filtering and the permit). */
async function readObject(ref: ObjectRef, where: WorkContext, deps: ObjectProcessorDeps, signal: AbortSignal): Promise<ObjectOutcome> {
  let body: AsyncIterable<Uint8Array>;
  try {
    body = await deps.objects.getObject(ref, signal);
  } catch (err) {
    if (isNoSuchKey(err)) {
      deps.metrics.object("not_found");
      deps.log.warn(where, `object s3://${ref.bucket}/${ref.key} no longer exists (NoSuchKey); its notification is dropped`);
      return "not-found";
    }
    throw new ObjectError("cannot get object", where, err);
  }

  const batchMaxEvents = deps.batchMaxEvents ?? 1024;
  const batchMaxBytes = deps.batchMaxBytes ?? 1 << 20;
  const maxInFlight = deps.maxBatchesInFlight ?? 4;
  const maxInFlightBytes = maxInFlight * batchMaxBytes;
  const limits = {
    maxObjectBytes: deps.maxObjectBytes ?? DEFAULT_OBJECT_LIMITS.maxObjectBytes,
    maxCompressionRatio: deps.maxCompressionRatio ?? DEFAULT_OBJECT_LIMITS.maxCompressionRatio,
  };
  const sizeOf = shippedSizer(ref, deps.version, deps.beatIdentifier);
  const encode = eventEncoder(ref, deps.version, deps.beatIdentifier);
  const inFlight: Promise<void>[] = [];
  /** Shipped bytes of the batches published and not yet acknowledged (or failed). */
  let inFlightBytes = 0;
  let failure: unknown;
  const batch = new BatchBuilder();
  let events = 0;
  let tooLarge: ObjectTooLargeError | undefined;
  const trace: ReadTrace = { bytes: 0 };
  const gate = new ReadGate(deps.largeRecords ?? LARGE_RECORDS);

  /** When the current batch's first event was read: every event of a batch carries it as @timestamp. */
  let readAt = new Date();
  let readAtIso = readAt.toISOString();
  const flush = async () => {
    if (batch.count === 0) return;
    const count = batch.count;
    const bytes = batch.bytes;
    const sent = batch.take();
    inFlightBytes += bytes;
    // The process-wide budget first: with many objects at once, this is what bounds memory.
    await deps.budget?.acquire(bytes, signal);
    // The callbacks capture the count, not the batch: events must not stay reachable until the
    // ack, or they outlive young-generation GCs and pile up as old-generation garbage.
    const acked = deps.output.publish(sent).then(
      () => {
        inFlightBytes -= bytes;
        deps.budget?.release(bytes);
        deps.metrics.eventsAcked(count);
      },
      (err: unknown) => {
        inFlightBytes -= bytes;
        deps.budget?.release(bytes);
        failure ??= err;
      },
    );
    inFlight.push(acked);
    deps.metrics.eventsPublished(count);
    // Reading resumes once the object is back under both bounds: no event is assembled meanwhile,
    // so a large event in flight is never joined by the next one. Cut short at the end of the
    // grace period: an output that never acknowledges must not hold the message.
    while (inFlight.length >= maxInFlight || (inFlight.length > 0 && inFlightBytes >= maxInFlightBytes)) {
      await untilAborted(inFlight.shift()!, signal);
    }
  };

  try {
    const stored = counted(abortableIterable(body, signal), (n) => deps.metrics.bytesRead(n));
    const decoded = traced(gated(counted(decompressIfGzip(stored, limits), (n) => {
      deps.metrics.bytesDecoded(n);
      decodedBytesRead(n);
    }), gate, signal), trace);
    try {
      for await (const record of decoderTraced(deps.decoderFor(ref.key)(decoded), trace)) {
        if (failure !== undefined) break;
        if (signal.aborted) throw signal.reason;
        gate.lastOffset = record.offset;
        // One timestamp per batch: a Date and its ISO text per event were ~5% of the CPU (profile of bench A).
        if (batch.count === 0) {
          readAt = new Date();
          readAtIso = readAt.toISOString();
        }
        // Events go out as their JSON text; a large one as an object, which the outputs write
        // straight into their buffers without also holding its whole document as a string.
        if (record.truncated) deps.metrics.eventTruncated();
        if (record.invalidUtf8) deps.metrics.eventInvalidUtf8();
        const size = sizeOf(record);
        if (batch.count > 0 && batch.bytes + size > batchMaxBytes) await flush();
        if (record.text.length < LARGE_MESSAGE_CHARS) batch.addDocument(encode(record, readAtIso), size);
        else batch.addEvent(buildEvent(ref, record, deps.version, readAt, deps.beatIdentifier), size);
        events++;
        if (batch.count >= batchMaxEvents || batch.bytes >= batchMaxBytes) await flush();
      }
    } catch (err) {
      // Too large: stop reading, ship what was read (below), and settle as delivered.
      if (!(err instanceof ObjectTooLargeError)) throw err;
      tooLarge = err;
    }
    if (failure === undefined) await flush();
    await untilAborted(Promise.all(inFlight), signal);
    gate.release();
  } catch (err) {
    gate.release();
    if (signal.aborted) throw err;
    const poison = failure === undefined ? poisonOf(trace) : undefined;
    if (poison === undefined) {
      await Promise.allSettled(inFlight);
      throw new ObjectError(`cannot read object after ${events} events`, where, err);
    }
    // Poison: this is the object's last read (its message goes to the dead-letter queue), so the
    // events read before the bad bytes are shipped now, once, and their acknowledgements awaited.
    await flush();
    await untilAborted(Promise.all(inFlight), signal);
    if (failure === undefined) throw new ObjectError(`cannot read object after ${events} events`, where, err, { ...poison, events });
    // The output failed meanwhile: that is transient, and reported below.
  }
  if (failure !== undefined) throw new ObjectError(`output ${deps.output.name} did not acknowledge events`, where, failure);

  if (tooLarge !== undefined) {
    deps.metrics.object("too_large");
    deps.log.error(
      { ...where, events, limit: tooLarge.limit, limitValue: tooLarge.limitValue, decompressedBytes: tooLarge.decompressedBytes, compressedBytes: tooLarge.compressedBytes },
      `object s3://${ref.bucket}/${ref.key} is too large: ${tooLarge.message}. The ${events} events before were shipped and the message is deleted (not retried: every read would stop at the same place). ` +
        `To ingest such objects whole, raise s3beat.${tooLarge.limit} (now ${tooLarge.limit === "maxObjectBytes" ? formatByteSize(tooLarge.limitValue) : tooLarge.limitValue}) and send the object's notification again.`,
    );
    return "delivered";
  }

  deps.metrics.object("delivered");
  deps.log.debug({ ...where, events }, "object ingested");
  return "delivered";
}


/** Messages at least this long are not serialized here (see the read loop). */
const LARGE_MESSAGE_CHARS = 64 * 1024;

/** Passes chunks through, reporting each one's size. */
async function* counted<T extends Uint8Array>(source: AsyncIterable<T>, add: (bytes: number) => void): AsyncGenerator<T> {
  for await (const chunk of source) {
    add(chunk.byteLength);
    yield chunk;
  }
}

/**
 * Where a read failed: in the byte stream (S3 body, gunzip) or in the decoder itself. Only the
 * failure's origin tells a transient one from poison (the decoder sees the stream's errors too).
 */
interface ReadTrace {
  /** Decompressed bytes handed to the decoder. */
  bytes: number;
  sourceError?: unknown;
  decoderError?: unknown;
}

/** Passes the decompressed stream through, noting its bytes and the error it fails with. */
async function* traced(source: AsyncIterable<Buffer>, trace: ReadTrace): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) {
      trace.bytes += chunk.byteLength;
      yield chunk;
    }
  } catch (err) {
    trace.sourceError ??= err;
    throw err;
  }
}

/** Passes the decoder's records through, noting an error the decoder raised itself. */
async function* decoderTraced<T>(records: AsyncIterable<T>, trace: ReadTrace): AsyncGenerator<T> {
  try {
    yield* records;
  } catch (err) {
    if (trace.sourceError === undefined) trace.decoderError ??= err;
    throw err;
  }
}

/**
 * Classifies a read failure. Poison (the same bytes fail the same way on every receive):
 * - a CorruptGzipError marked deterministic: zlib rejected bytes it received, or the object ended
 *   mid-stream after its whole body was read (truncated);
 * - an error the decoder raised itself (by contract it throws only on structurally broken data,
 *   e.g. `malformed JSON at byte N`; decoders that flag records, like ndjson, never throw).
 * Anything else from the byte stream (network, throttling, 5xx, access denied) is transient;
 * output failures never reach here. Undefined means transient: retried with backoff.
 */
function poisonOf(trace: ReadTrace): Omit<Poison, "events"> | undefined {
  if (trace.sourceError !== undefined) {
    const e = trace.sourceError;
    return e instanceof CorruptGzipError && e.deterministic ? { reason: e.message, offset: trace.bytes } : undefined;
  }
  if (trace.decoderError === undefined) return undefined;
  const what = describeCause(trace.decoderError);
  const at = /\bat byte (\d+)/.exec(what);
  return { reason: `the decoder rejected the data: ${what}`, offset: at ? Number(at[1]) : trace.bytes };
}

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
 *   memory ≈ fixed + maxMessagesInFlight × (maxBatchesInFlight × batchMaxBytes + batchMaxBytes
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

const LARGE_RECORDS = new LargeRecordPermit();

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
function decodedBytesRead(bytes: number): void {
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
class ReadGate {
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
async function* gated(source: AsyncIterable<Buffer>, gate: ReadGate, signal: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    gate.read += chunk.byteLength;
    yield chunk;
    await gate.admit(signal);
  }
}
