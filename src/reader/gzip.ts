import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";

/** gzip is recognised by its magic bytes, not by the key's extension or Content-Encoding (often wrong or absent). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export class CorruptGzipError extends Error {
  override name = "CorruptGzipError";
}

/**
 * Yields the object's bytes, gunzipped when they start with the gzip magic. Streams with
 * backpressure: nothing beyond a chunk or two is held. Concatenated gzip members are supported.
 */
export async function* decompressIfGzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
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
  try {
    yield* isGzip(head) ? gunzipped(rest()) : rest();
  } finally {
    // Stopping early (shutdown, output failure) must release the HTTP connection of the body.
    await it.return?.();
  }
}

async function* gunzipped(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  let compressedBytes = 0;
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of compressed) {
        compressedBytes += chunk.length;
        yield chunk;
      }
    })(),
  );
  // pipeline() destroys the gunzip stream with the source's error, so the loop below sees it.
  pipeline(counted, gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code.startsWith("Z_")) {
      throw new CorruptGzipError(
        `corrupt gzip data after ${compressedBytes} compressed bytes: ${(err as Error).message}`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    gunzip.destroy();
    counted.destroy();
  }
}
