import type { Logger } from "pino";
import type { Output } from "../outputs/output.ts";
import type { Decoder } from "../objects/decoders/decoder.ts";
import { DEFAULT_OBJECT_LIMITS, ObjectTooLargeError, decompressIfGzip } from "../objects/gzip.ts";
import type { ObjectGetter } from "../objects/s3Objects.ts";
import type { ObjectOutcome } from "./decision.ts";
import { ObjectError, type WorkContext } from "./errors.ts";
import { isNoSuchKey } from "../aws/sdkErrors.ts";
import { decodedBytesRead, gated, LARGE_RECORDS, ReadGate, type LargeRecordPermit } from "./readGate.ts";
import { decoderTraced, poisonOf, traced, type ReadTrace } from "./readTrace.ts";
import { buildEvent, eventEncoder, shippedSizer, type ObjectRef } from "../events/event.ts";
import { LARGE_MESSAGE_CHARS } from "../outputs/ndjson.ts";
import { BatchBuilder } from "./batch.ts";
import { isLargeObject, type Permits } from "./permits.ts";
import type { QueueMetrics } from "../telemetry/metrics.ts";
import { abortableIterable, untilAborted } from "../util/abort.ts";
import type { ByteBudget } from "./budget.ts";
import { formatByteSize } from "../config/units.ts";

/** Events per published batch. */
const BATCH_MAX_EVENTS = 1024;
/**
 * Bytes per published batch as shipped: the events' JSON documents. A batch goes out before an
 * event would take it past this; an event larger than this goes alone.
 */
const BATCH_MAX_BYTES = 1 << 20;
/**
 * Unacknowledged batches per object. With BATCH_MAX_BYTES this bounds memory while the output is
 * slow: the reader stops pulling from S3 while the object has this many batches, or
 * MAX_IN_FLIGHT_BYTES shipped bytes, unacknowledged.
 */
const MAX_BATCHES_IN_FLIGHT = 4;
const MAX_IN_FLIGHT_BYTES = MAX_BATCHES_IN_FLIGHT * BATCH_MAX_BYTES;

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
  if (exclude?.test(key)) return false;
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
export async function processObject(ref: ObjectRef, ctx: WorkContext, deps: ObjectProcessorDeps, signal: AbortSignal): Promise<ObjectOutcome> {
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
    while (inFlight.length >= MAX_BATCHES_IN_FLIGHT || (inFlight.length > 0 && inFlightBytes >= MAX_IN_FLIGHT_BYTES)) {
      await untilAborted(inFlight.shift()!, signal);
    }
  };

  try {
    const stored = counted(abortableIterable(body, signal), (n) => deps.metrics.bytesRead(n));
    const decoded = traced(
      gated(
        counted(decompressIfGzip(stored, limits), (n) => {
          deps.metrics.bytesDecoded(n);
          decodedBytesRead(n);
        }),
        gate,
        signal,
      ),
      trace,
    );
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
        if (batch.count > 0 && batch.bytes + size > BATCH_MAX_BYTES) await flush();
        if (record.text.length < LARGE_MESSAGE_CHARS) batch.addDocument(encode(record, readAtIso), size);
        else batch.addEvent(buildEvent(ref, record, deps.version, readAt, deps.beatIdentifier), size);
        events++;
        if (batch.count >= BATCH_MAX_EVENTS || batch.bytes >= BATCH_MAX_BYTES) await flush();
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
      {
        ...where,
        events,
        limit: tooLarge.limit,
        limitValue: tooLarge.limitValue,
        decompressedBytes: tooLarge.decompressedBytes,
        compressedBytes: tooLarge.compressedBytes,
      },
      `object s3://${ref.bucket}/${ref.key} is too large: ${tooLarge.message}. The ${events} events before were shipped and the message is deleted (not retried: every read would stop at the same place). ` +
        `To ingest such objects whole, raise s3beat.${tooLarge.limit} (now ${tooLarge.limit === "maxObjectBytes" ? formatByteSize(tooLarge.limitValue) : tooLarge.limitValue}) and send the object's notification again.`,
    );
    return "delivered";
  }

  deps.metrics.object("delivered");
  deps.log.debug({ ...where, events }, "object ingested");
  return "delivered";
}

/** Passes chunks through, reporting each one's size. */
async function* counted<T extends Uint8Array>(source: AsyncIterable<T>, add: (bytes: number) => void): AsyncGenerator<T> {
  for await (const chunk of source) {
    add(chunk.byteLength);
    yield chunk;
  }
}
