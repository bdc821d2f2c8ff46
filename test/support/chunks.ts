import { expect } from "vitest";
import type { Decoder } from "../../src/objects/decoders/decoder.ts";
import type { DecodedRecord } from "../../src/events/record.ts";

// Decoders must give the same records whatever the chunking of their input; these helpers feed an
// input in several chunkings and check that they agree.

/** Deterministic PRNG (mulberry32) so that a failing random chunking is reproducible. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function* bySizes(data: Buffer, size: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; ) {
    const n = size();
    yield data.subarray(i, i + n);
    i += n;
  }
}

/** Like a pooled reader: every chunk is the same buffer refilled, so decoders must copy what they keep. */
export async function* reusedBuffer(data: Buffer, size: () => number, max: number): AsyncGenerator<Buffer> {
  const buf = Buffer.alloc(max);
  for (let i = 0; i < data.length; ) {
    const n = Math.min(size(), data.length - i);
    data.copy(buf, 0, i, i + n);
    yield buf.subarray(0, n);
    buf.fill(0x2a); // scribble over it once the consumer asks for more
    i += n;
  }
}

export type Chunking = (data: Buffer) => AsyncIterable<Buffer>;

export const CHUNKINGS: Record<string, Chunking> = {
  whole: async function* (data) {
    yield data;
  },
  "1-byte": (data) => bySizes(data, () => 1),
  "random 1-16": (data) => {
    const r = rng(7);
    return bySizes(data, () => 1 + Math.floor(r() * 16));
  },
  "random 1-64, reused buffer": (data) => {
    const r = rng(11);
    return reusedBuffer(data, () => 1 + Math.floor(r() * 64), 64);
  },
};

/** For inputs of megabytes, where 1-byte chunks would only make the test slow. */
export const BIG_CHUNKINGS: Record<string, Chunking> = {
  whole: CHUNKINGS.whole as Chunking,
  "64 KiB": (data) => bySizes(data, () => 65536),
  "random 1-100000, reused buffer": (data) => {
    const r = rng(3);
    return reusedBuffer(data, () => 1 + Math.floor(r() * 100000), 100000);
  },
};

export interface Outcome {
  records: DecodedRecord[];
  error?: string;
}

export async function run(decoder: Decoder, chunks: AsyncIterable<Buffer>): Promise<Outcome> {
  const records: DecodedRecord[] = [];
  try {
    for await (const r of decoder(chunks)) records.push(r);
  } catch (err) {
    return { records, error: (err as Error).message };
  }
  return { records };
}

/** Decodes `input` under every chunking, asserts they all agree, and returns the outcome. */
export async function decodeEveryWay(decoder: Decoder, input: string | Buffer, chunkings = CHUNKINGS): Promise<Outcome> {
  const data = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  let first: Outcome | undefined;
  for (const [name, chunking] of Object.entries(chunkings)) {
    const outcome = await run(decoder, chunking(data));
    if (first === undefined) first = outcome;
    else expect(outcome, `chunking "${name}"`).toEqual(first);
  }
  return first as Outcome;
}
