/** Where reading an object failed, and whether that makes the object poison. */
import { describeCause } from "../aws/sdkErrors.ts";
import { CorruptGzipError } from "../objects/gzip.ts";
import type { Poison } from "./errors.ts";

/**
 * Where a read failed: in the byte stream (S3 body, gunzip) or in the decoder itself. Only the
 * failure's origin tells a transient one from poison (the decoder sees the stream's errors too).
 */
export interface ReadTrace {
  /** Decompressed bytes handed to the decoder. */
  bytes: number;
  sourceError?: unknown;
  decoderError?: unknown;
}

/** Passes the decompressed stream through, noting its bytes and the error it fails with. */
export async function* traced(source: AsyncIterable<Buffer>, trace: ReadTrace): AsyncGenerator<Buffer> {
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
export async function* decoderTraced<T>(records: AsyncIterable<T>, trace: ReadTrace): AsyncGenerator<T> {
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
export function poisonOf(trace: ReadTrace): Omit<Poison, "events"> | undefined {
  if (trace.sourceError !== undefined) {
    const e = trace.sourceError;
    return e instanceof CorruptGzipError && e.deterministic ? { reason: e.message, offset: trace.bytes } : undefined;
  }
  if (trace.decoderError === undefined) return undefined;
  const what = describeCause(trace.decoderError);
  const at = /\bat byte (\d+)/.exec(what);
  return { reason: `the decoder rejected the data: ${what}`, offset: at ? Number(at[1]) : trace.bytes };
}
