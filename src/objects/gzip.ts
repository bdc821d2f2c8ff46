import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { formatByteSize } from "../config/units.ts";

/** gzip is recognised by its magic bytes, not by the key's extension or Content-Encoding (often wrong or absent). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The gzip data is invalid. `deterministic` says the object's own bytes are at fault, so reading it
 * again gives the same error (poison, see pipeline/decision.ts): zlib rejected bytes it received
 * (Z_DATA_ERROR: bad header, block or checksum), or the stream ended mid-member after the whole
 * body was read (a truncated object; a body cut by the network fails with the socket's error instead).
 */
export class CorruptGzipError extends Error {
  override name = "CorruptGzipError";
  readonly deterministic: boolean;
  /** Compressed bytes read when zlib gave up. */
  readonly compressedBytes: number;

  constructor(message: string, opts: { cause: unknown; deterministic: boolean; compressedBytes: number }) {
    super(message, { cause: opts.cause });
    this.deterministic = opts.deterministic;
    this.compressedBytes = opts.compressedBytes;
  }
}

/** What one object may decompress to (`s3beat.maxObjectBytes`, `s3beat.maxCompressionRatio`). */
export interface ObjectLimits {
  /** Decompressed bytes read from one object at most (for an object that is not gzip, its size). */
  maxObjectBytes: number;
  /**
   * Largest ratio of decompressed to compressed bytes of gzip data, judged once more than
   * RATIO_CHECK_MIN_BYTES were decompressed. Deflate cannot exceed about 1032:1, which only
   * data of one repeated byte approaches: a decompression bomb, not a log.
   */
  maxCompressionRatio: number;
  /** Decompressed bytes after which the ratio is judged (default RATIO_CHECK_MIN_BYTES; tests lower it). */
  ratioCheckFromBytes?: number;
}

export const DEFAULT_OBJECT_LIMITS: Readonly<ObjectLimits> = { maxObjectBytes: 10 * 1024 ** 3, maxCompressionRatio: 1000 };

/** The ratio is judged only past this many decompressed bytes: a small object of one repeated byte harms nobody. */
export const RATIO_CHECK_MIN_BYTES = 64 * 1024 * 1024;

/**
 * The object decompresses to more than ObjectLimits allow, so reading stopped: every byte before
 * the limit was yielded (with `maxObjectBytes`, exactly that many), nothing after. Deterministic:
 * reading the object again would stop at the same place.
 */
export class ObjectTooLargeError extends Error {
  override name = "ObjectTooLargeError";
  /** The setting that stopped reading. */
  readonly limit: "maxObjectBytes" | "maxCompressionRatio";
  /** Its value (bytes, or a ratio). */
  readonly limitValue: number;
  /** Decompressed bytes yielded before reading stopped. */
  readonly decompressedBytes: number;
  /** Compressed bytes zlib had consumed then; undefined for an object that is not gzip. */
  readonly compressedBytes: number | undefined;

  constructor(limit: "maxObjectBytes" | "maxCompressionRatio", limitValue: number, decompressedBytes: number, compressedBytes: number | undefined) {
    super(
      limit === "maxObjectBytes"
        ? `the object holds more than maxObjectBytes (${formatByteSize(limitValue)}) of ${compressedBytes === undefined ? "data" : "decompressed data"}; reading stopped after ${decompressedBytes} bytes`
        : `its gzip data expands more than maxCompressionRatio (${limitValue}) times (${decompressedBytes} bytes from ${compressedBytes} compressed bytes), as decompression bombs do; reading stopped there`,
    );
    this.limit = limit;
    this.limitValue = limitValue;
    this.decompressedBytes = decompressedBytes;
    this.compressedBytes = compressedBytes;
  }
}

/**
 * Yields the object's bytes, gunzipped when they start with the gzip magic. Streams with
 * backpressure: nothing beyond a chunk or two is held. Concatenated gzip members are supported.
 * With `limits`, throws ObjectTooLargeError once the object decompresses past them.
 */
export async function* decompressIfGzip(source: AsyncIterable<Uint8Array>, limits?: ObjectLimits): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 2) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    head = head.length === 0 ? Buffer.from(r.value) : Buffer.concat([head, r.value]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    }
  }
  const meter: Meter = {};
  const bytes = isGzip(head) ? gunzipped(rest(), meter) : rest();
  try {
    yield* limits === undefined ? bytes : limited(bytes, limits, meter);
  } finally {
    // Stopping early (shutdown, output failure) must release the HTTP connection of the body.
    await it.return?.();
  }
}

/** Compressed bytes consumed so far, for the ratio; unset when the object is not gzip. */
interface Meter {
  compressed?: number;
}

/** Passes `source` through until it goes past `limits`, then throws ObjectTooLargeError. */
async function* limited(source: AsyncIterable<Buffer>, limits: ObjectLimits, meter: Meter): AsyncGenerator<Buffer> {
  const ratioFrom = limits.ratioCheckFromBytes ?? RATIO_CHECK_MIN_BYTES;
  let total = 0;
  for await (const chunk of source) {
    const room = limits.maxObjectBytes - total;
    if (chunk.length > room) {
      if (room > 0) yield chunk.subarray(0, room);
      throw new ObjectTooLargeError("maxObjectBytes", limits.maxObjectBytes, limits.maxObjectBytes, meter.compressed);
    }
    total += chunk.length;
    yield chunk;
    const compressed = meter.compressed;
    if (compressed !== undefined && total > ratioFrom && total > limits.maxCompressionRatio * compressed) {
      throw new ObjectTooLargeError("maxCompressionRatio", limits.maxCompressionRatio, total, compressed);
    }
  }
}

const GUNZIP_CHUNK_BYTES = 64 * 1024;

async function* gunzipped(compressed: AsyncIterable<Buffer>, meter: Meter = {}): AsyncGenerator<Buffer> {
  // 64 KiB out per step rather than zlib's 16: each chunk costs a callback and a pass through the
  // reading pipeline's stages (a tenth of bench A's CPU at 16 KiB).
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  let compressedBytes = 0;
  let inputEnded = false;
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of compressed) {
        compressedBytes += chunk.length;
        yield chunk;
      }
      inputEnded = true;
    })(),
    // One chunk read ahead of zlib, not Readable.from's default 16: memory per object stays at
    // zlib's window and a chunk or two (the HTTP body buffers on its own).
    { highWaterMark: 1 },
  );
  // pipeline() destroys the gunzip stream with the source's error, so the loop below sees it.
  pipeline(counted, gunzip, () => {});
  try {
    for await (const chunk of gunzip) {
      // What zlib has actually inflated so far (the source is read ahead of it).
      meter.compressed = gunzip.bytesWritten;
      yield chunk as Buffer;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code.startsWith("Z_")) {
      throw new CorruptGzipError(`corrupt gzip data after ${compressedBytes} compressed bytes: ${(err as Error).message}`, {
        cause: err,
        deterministic: code === "Z_DATA_ERROR" || (code === "Z_BUF_ERROR" && inputEnded),
        compressedBytes,
      });
    }
    throw err;
  } finally {
    gunzip.destroy();
    counted.destroy();
  }
}
