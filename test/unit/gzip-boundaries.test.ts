/** decompressIfGzip at its edges: reading the two magic bytes (no read past the end, no read ahead), the object limits exactly at their boundaries, its defaults and error names. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CorruptGzipError, DEFAULT_OBJECT_LIMITS, decompressIfGzip, ObjectTooLargeError, type ObjectLimits } from "../../src/objects/gzip.ts";

const KiB = 1024;

/** A body in the given chunks that fails the test if read again once it said it was done; counts its reads. */
function strictSource(chunks: Uint8Array[]) {
  const state = { reads: 0, finished: false, readAfterEnd: false };
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        async next() {
          if (state.finished) state.readAfterEnd = true;
          state.reads++;
          if (i >= chunks.length) {
            state.finished = true;
            return { done: true, value: undefined };
          }
          return { done: false, value: chunks[i++] as Uint8Array };
        },
      };
    },
  };
  return { iterable, state };
}

async function collect(source: AsyncIterable<Uint8Array>, limits?: ObjectLimits) {
  const chunks: Buffer[] = [];
  let error: unknown;
  try {
    for await (const c of decompressIfGzip(source, limits)) chunks.push(Buffer.from(c));
  } catch (err) {
    error = err;
  }
  return { chunks, text: Buffer.concat(chunks).toString("latin1"), error };
}

const bytes = (s: string) => Buffer.from(s, "latin1");

describe("decompressIfGzip: the first bytes", () => {
  it.each<[name: string, chunks: Buffer[], text: string]>([
    ["an empty body", [], ""],
    ["an empty body of empty chunks", [bytes(""), bytes("")], ""],
    ["a body of one byte", [bytes("x")], "x"],
    ["a body of two bytes in two chunks", [bytes("x"), bytes("y")], "xy"],
    ["plain text in one chunk", [bytes("hello\n")], "hello\n"],
    ["plain text after an empty chunk", [bytes(""), bytes("h"), bytes("ello")], "hello"],
    ["gzip data in one chunk", [gzipSync("hello\n")], "hello\n"],
    ["gzip data with its magic split", [gzipSync("hello\n").subarray(0, 1), gzipSync("hello\n").subarray(1)], "hello\n"],
  ])("%s: read back, never read after its end, no empty chunk", async (_name, chunks, text) => {
    const src = strictSource(chunks);
    const out = await collect(src.iterable);
    expect(out.error).toBeUndefined();
    expect(out.text).toBe(text);
    expect(out.chunks.filter((c) => c.length === 0)).toEqual([]);
    expect(src.state.readAfterEnd).toBe(false);
  });

  it("passes the first two bytes on before reading further", async () => {
    const src = strictSource([bytes("a"), bytes("b"), bytes("cdef"), bytes("gh")]);
    const seen: Array<[text: string, reads: number]> = [];
    for await (const c of decompressIfGzip(src.iterable)) seen.push([c.toString("latin1"), src.state.reads]);
    expect(seen).toEqual([
      ["ab", 2],
      ["cdef", 3],
      ["gh", 4],
    ]);
  });
});

describe("decompressIfGzip: limits at their boundaries", () => {
  it("stops without an empty chunk when the object reaches maxObjectBytes exactly at a chunk's end", async () => {
    const src = strictSource([bytes("abcd"), bytes("efgh"), bytes("ijkl")]);
    const out = await collect(src.iterable, { maxObjectBytes: 8, maxCompressionRatio: 1000 });
    expect(out.chunks.map((c) => c.toString("latin1"))).toEqual(["abcd", "efgh"]);
    expect(out.error).toMatchObject({ limit: "maxObjectBytes", limitValue: 8, decompressedBytes: 8 });
  });

  it.each<[name: string, max: number, text: string, error: boolean]>([
    ["one byte under the object", 11, "abcdefghijk", true],
    ["exactly the object", 12, "abcdefghijkl", false],
    ["one byte over the object", 13, "abcdefghijkl", false],
    ["inside the first chunk", 3, "abc", true],
  ])("maxObjectBytes %s", async (_name, max, text, error) => {
    const src = strictSource([bytes("abcd"), bytes("efgh"), bytes("ijkl")]);
    const out = await collect(src.iterable, { maxObjectBytes: max, maxCompressionRatio: 1000 });
    expect(out.text).toBe(text);
    expect(out.error !== undefined).toBe(error);
  });

  // zlib yields a bomb of zeros in chunks of exactly 64 KiB.
  const bomb = gzipSync(Buffer.alloc(256 * KiB));

  it("judges the ratio only once past ratioCheckFromBytes, not on reaching it", async () => {
    const out = await collect(strictSource([bomb]).iterable, { maxObjectBytes: 1 << 30, maxCompressionRatio: 10, ratioCheckFromBytes: 64 * KiB });
    expect(out.chunks.map((c) => c.length)).toEqual([64 * KiB, 64 * KiB]);
    expect(out.error).toBeInstanceOf(ObjectTooLargeError);
    expect(out.error).toMatchObject({ limit: "maxCompressionRatio", limitValue: 10, decompressedBytes: 128 * KiB });
  });

  it("lets data expand exactly maxCompressionRatio times, not more", async () => {
    // 64 KiB from one gzip chunk: find how many compressed bytes zlib had used by then.
    const gz = gzipSync(Buffer.alloc(64 * KiB, "a"));
    const probe = await collect(strictSource([gz]).iterable, { maxObjectBytes: 1 << 30, maxCompressionRatio: 1, ratioCheckFromBytes: 0 });
    const e = probe.error as ObjectTooLargeError;
    expect(e).toMatchObject({ limit: "maxCompressionRatio", decompressedBytes: 64 * KiB });
    const compressed = e.compressedBytes as number;
    const ratio = (64 * KiB) / compressed;
    expect(ratio * compressed).toBe(64 * KiB); // exactly at the limit

    const atLimit = await collect(strictSource([gz]).iterable, { maxObjectBytes: 1 << 30, maxCompressionRatio: ratio, ratioCheckFromBytes: 0 });
    expect(atLimit.error).toBeUndefined();
    expect(atLimit.text).toBe("a".repeat(64 * KiB));

    const justUnder = await collect(strictSource([gz]).iterable, {
      maxObjectBytes: 1 << 30,
      maxCompressionRatio: (64 * KiB - 1) / compressed,
      ratioCheckFromBytes: 0,
    });
    expect(justUnder.error).toMatchObject({ limit: "maxCompressionRatio", decompressedBytes: 64 * KiB, compressedBytes: compressed });
  });

  it("never judges the ratio of an object that is not gzip", async () => {
    const plain = bytes("a".repeat(10 * KiB));
    const out = await collect(strictSource([plain]).iterable, { maxObjectBytes: 1 << 30, maxCompressionRatio: 0.5, ratioCheckFromBytes: 0 });
    expect(out.error).toBeUndefined();
    expect(out.text.length).toBe(10 * KiB);
  });
});

describe("decompressIfGzip: defaults and error names", () => {
  it("limits an object to 10 GiB and a ratio of 1000 by default", () => {
    expect(DEFAULT_OBJECT_LIMITS).toEqual({ maxObjectBytes: 10 * 1024 ** 3, maxCompressionRatio: 1000 });
  });

  it("names its errors", async () => {
    const out = await collect(strictSource([gzipSync("x").subarray(0, 12)]).iterable);
    expect(out.error).toBeInstanceOf(CorruptGzipError);
    expect((out.error as Error).name).toBe("CorruptGzipError");
    expect(new ObjectTooLargeError("maxObjectBytes", 1, 1, undefined).name).toBe("ObjectTooLargeError");
  });
});
