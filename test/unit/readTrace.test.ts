/** readTrace: where a read failed (byte stream or decoder) and which failures make an object poison. */
import { describe, expect, it } from "vitest";
import { CorruptGzipError } from "../../src/objects/gzip.ts";
import { decoderTraced, poisonOf, traced, type ReadTrace } from "../../src/pipeline/readTrace.ts";

async function* chunks(parts: string[], failWith?: unknown): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
  if (failWith !== undefined) throw failWith;
}

async function* records<T>(items: T[], failWith?: unknown): AsyncGenerator<T> {
  for (const r of items) yield r;
  if (failWith !== undefined) throw failWith;
}

async function drain<T>(source: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of source) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items };
}

const corrupt = (deterministic: boolean) =>
  new CorruptGzipError("corrupt gzip data after 6559 compressed bytes: unexpected end of file", {
    cause: new Error("zlib"),
    deterministic,
    compressedBytes: 6559,
  });

describe("traced", () => {
  it("passes the chunks through and counts their bytes", async () => {
    const trace: ReadTrace = { bytes: 0 };
    const { items, error } = await drain(traced(chunks(["abc", "de", "é"]), trace));
    expect(items.map((b) => b.toString())).toEqual(["abc", "de", "é"]);
    expect(error).toBeUndefined();
    expect(trace).toEqual({ bytes: 7 });
  });

  it("counts the bytes of each chunk as it is handed on, before the next is read", async () => {
    const trace: ReadTrace = { bytes: 0 };
    const seen: number[] = [];
    for await (const _ of traced(chunks(["abcd", "ef"]), trace)) seen.push(trace.bytes);
    expect(seen).toEqual([4, 6]);
  });

  it("notes the stream's error as sourceError and rethrows it", async () => {
    const trace: ReadTrace = { bytes: 0 };
    const boom = new Error("socket hang up");
    const { items, error } = await drain(traced(chunks(["abc"], boom), trace));
    expect(items).toHaveLength(1);
    expect(error).toBe(boom);
    expect(trace).toEqual({ bytes: 3, sourceError: boom });
  });

  it("keeps the first source error noted", async () => {
    const first = new Error("first");
    const trace: ReadTrace = { bytes: 0, sourceError: first };
    const { error } = await drain(traced(chunks([], new Error("second")), trace));
    expect(error).toEqual(new Error("second"));
    expect(trace.sourceError).toBe(first);
  });
});

describe("decoderTraced", () => {
  it("passes the records through untouched", async () => {
    const trace: ReadTrace = { bytes: 0 };
    const { items, error } = await drain(decoderTraced(records([1, 2, 3]), trace));
    expect(items).toEqual([1, 2, 3]);
    expect(error).toBeUndefined();
    expect(trace).toEqual({ bytes: 0 });
  });

  it("notes an error the decoder raised itself as decoderError and rethrows it", async () => {
    const trace: ReadTrace = { bytes: 10 };
    const bad = new Error("malformed JSON at byte 4");
    const { items, error } = await drain(decoderTraced(records(["a"], bad), trace));
    expect(items).toEqual(["a"]);
    expect(error).toBe(bad);
    expect(trace).toEqual({ bytes: 10, decoderError: bad });
  });

  it("does not blame the decoder for the stream's error it passed on", async () => {
    const network = new Error("ECONNRESET");
    const trace: ReadTrace = { bytes: 5, sourceError: network };
    const { error } = await drain(decoderTraced(records([], network), trace));
    expect(error).toBe(network);
    expect(trace).toEqual({ bytes: 5, sourceError: network });
    expect("decoderError" in trace).toBe(false);
  });

  it("keeps the first decoder error noted", async () => {
    const first = new Error("first");
    const trace: ReadTrace = { bytes: 0, decoderError: first };
    await drain(decoderTraced(records([], new Error("second")), trace));
    expect(trace.decoderError).toBe(first);
  });
});

describe("poisonOf", () => {
  it.each<[string, ReadTrace, ReturnType<typeof poisonOf>]>([
    ["no error at all", { bytes: 100 }, undefined],
    [
      "a deterministic gzip corruption: its message, at the bytes read",
      { bytes: 2048, sourceError: corrupt(true) },
      { reason: "corrupt gzip data after 6559 compressed bytes: unexpected end of file", offset: 2048 },
    ],
    ["a gzip failure that is not deterministic (the stream broke)", { bytes: 2048, sourceError: corrupt(false) }, undefined],
    ["a network error from the stream", { bytes: 2048, sourceError: new Error("socket hang up") }, undefined],
    [
      "a network error, even if the decoder also failed",
      { bytes: 2048, sourceError: new Error("socket hang up"), decoderError: new Error("malformed JSON at byte 3") },
      undefined,
    ],
    [
      "the decoder's error with a byte offset: that offset",
      { bytes: 2048, decoderError: new Error("malformed JSON at byte 1234: unexpected token") },
      { reason: "the decoder rejected the data: malformed JSON at byte 1234: unexpected token", offset: 1234 },
    ],
    [
      "the decoder's error without a byte offset: the bytes read",
      { bytes: 2048, decoderError: new Error("unbalanced brackets") },
      { reason: "the decoder rejected the data: unbalanced brackets", offset: 2048 },
    ],
    [
      "`at byte` inside a word is no offset",
      { bytes: 77, decoderError: new Error("flat byte 5 found") },
      { reason: "the decoder rejected the data: flat byte 5 found", offset: 77 },
    ],
    [
      "a thrown non-Error, described as text",
      { bytes: 9, decoderError: "bad data at byte 3" },
      { reason: "the decoder rejected the data: bad data at byte 3", offset: 3 },
    ],
  ])("%s", (_name, trace, want) => {
    expect(poisonOf(trace)).toEqual(want);
  });
});
