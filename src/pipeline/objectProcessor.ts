import type { Logger } from "pino";
import type { Output } from "../outputs/output.ts";
import type { Decoder } from "../reader/decoders/decoder.ts";
import { decompressIfGzip } from "../reader/gzip.ts";
import type { ObjectGetter } from "../reader/objectSource.ts";
import type { ObjectOutcome } from "./decision.ts";
import { ObjectError, isNoSuchKey, type WorkContext } from "./errors.ts";
import { buildEvent, type BeatEvent, type ObjectRef } from "./event.ts";
import type { QueueMetrics } from "../telemetry/metrics.ts";
import { abortableIterable, untilAborted } from "../util/abort.ts";

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
  /** Events per published batch. */
  batchMaxEvents?: number;
  /** Bytes of message text per published batch. */
  batchMaxBytes?: number;
  /**
   * Unacknowledged batches per object. This is what bounds memory while the output is slow: the
   * reader stops pulling from S3 until the oldest batch is acknowledged.
   */
  maxBatchesInFlight?: number;
}

export function keySelected(key: string, include?: RegExp, exclude?: RegExp): boolean {
  if (include && !include.test(key)) return false;
  if (exclude && exclude.test(key)) return false;
  return true;
}

/**
 * Reads one object and publishes its events. Resolves with the outcome once every event is
 * acknowledged by the output; throws ObjectError (with queue/message/bucket/key) otherwise.
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
  const inFlight: Promise<void>[] = [];
  let failure: unknown;
  let batch: BeatEvent[] = [];
  let batchBytes = 0;
  let events = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const sent = batch;
    const count = sent.length;
    batch = [];
    batchBytes = 0;
    // The callbacks capture the count, not the batch: events must not stay reachable until the
    // ack, or they outlive young-generation GCs and pile up as old-generation garbage.
    const acked = deps.output.publish(sent).then(
      () => {
        deps.metrics.eventsAcked(count);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    inFlight.push(acked);
    deps.metrics.eventsPublished(count);
    // Cut short at the end of the grace period: an output that never acknowledges must not hold the message.
    if (inFlight.length >= maxInFlight) await untilAborted(inFlight.shift()!, signal);
  };

  try {
    const stored = counted(abortableIterable(body, signal), (n) => deps.metrics.bytesRead(n));
    const decoded = counted(decompressIfGzip(stored), (n) => deps.metrics.bytesDecoded(n));
    for await (const record of deps.decoderFor(ref.key)(decoded)) {
      if (failure !== undefined) break;
      if (signal.aborted) throw signal.reason;
      const event = buildEvent(ref, record, deps.version, undefined, deps.beatIdentifier);
      if (record.truncated) deps.metrics.eventTruncated();
      batch.push(event);
      batchBytes += record.text.length;
      events++;
      if (batch.length >= batchMaxEvents || batchBytes >= batchMaxBytes) await flush();
    }
    if (failure === undefined) await flush();
    await untilAborted(Promise.all(inFlight), signal);
  } catch (err) {
    if (signal.aborted) throw err;
    await Promise.allSettled(inFlight);
    throw new ObjectError(`cannot read object after ${events} events`, where, err);
  }
  if (failure !== undefined) throw new ObjectError(`output ${deps.output.name} did not acknowledge events`, where, failure);

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
