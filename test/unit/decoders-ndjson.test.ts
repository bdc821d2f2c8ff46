import { describe, it, expect } from "vitest";
import type { Decoder, DecodedRecord } from "../../src/reader/decoders/decoder.ts";
import { ndjsonDecoder } from "../../src/reader/decoders/ndjson.ts";

// --- chunk-feeding helpers (each decoder test file carries its own copy) ---------------------

/** Deterministic PRNG (mulberry32) so that a failing random chunking is reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function* bySizes(data: Buffer, size: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; ) {
    const n = size();
    yield data.subarray(i, i + n);
    i += n;
  }
}

/** Like a pooled reader: every chunk is the same buffer refilled, so decoders must copy what they keep. */
async function* reusedBuffer(data: Buffer, size: () => number, max: number): AsyncGenerator<Buffer> {
  const buf = Buffer.alloc(max);
  for (let i = 0; i < data.length; ) {
    const n = Math.min(size(), data.length - i);
    data.copy(buf, 0, i, i + n);
    yield buf.subarray(0, n);
    buf.fill(0x2a); // scribble over it once the consumer asks for more
    i += n;
  }
}

type Chunking = (data: Buffer) => AsyncIterable<Buffer>;

const CHUNKINGS: Record<string, Chunking> = {
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
const BIG_CHUNKINGS: Record<string, Chunking> = {
  whole: CHUNKINGS.whole as Chunking,
  "64 KiB": (data) => bySizes(data, () => 65536),
  "random 1-100000, reused buffer": (data) => {
    const r = rng(3);
    return reusedBuffer(data, () => 1 + Math.floor(r() * 100000), 100000);
  },
};

interface Outcome {
  records: DecodedRecord[];
  error?: string;
}

async function run(decoder: Decoder, chunks: AsyncIterable<Buffer>): Promise<Outcome> {
  const records: DecodedRecord[] = [];
  try {
    for await (const r of decoder(chunks)) records.push(r);
  } catch (err) {
    return { records, error: (err as Error).message };
  }
  return { records };
}

/** Decodes `input` under every chunking, asserts they all agree, and returns the outcome. */
async function decodeEveryWay(decoder: Decoder, input: string | Buffer, chunkings = CHUNKINGS): Promise<Outcome> {
  const data = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  let first: Outcome | undefined;
  for (const [name, chunking] of Object.entries(chunkings)) {
    const outcome = await run(decoder, chunking(data));
    if (first === undefined) first = outcome;
    else expect(outcome, `chunking "${name}"`).toEqual(first);
  }
  return first as Outcome;
}

// ----------------------------------------------------------------------------------------------

const ok = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated });
const bad = (offset: number, text: string): DecodedRecord => ({
  offset,
  text,
  truncated: false,
  error: expect.stringMatching(/^line is not valid JSON: \S/) as unknown as string,
});

describe("ndjsonDecoder", () => {
  const cases: Array<{ name: string; input: string; max?: number; want: DecodedRecord[] }> = [
    {
      name: "one document per line",
      input: '{"a":1}\n[1,2]\n"s"\n3\nnull\n',
      want: [ok(0, '{"a":1}'), ok(8, "[1,2]"), ok(14, '"s"'), ok(18, "3"), ok(20, "null")],
    },
    { name: "CRLF and no trailing newline", input: '{"a":1}\r\n{"b":2}', want: [ok(0, '{"a":1}'), ok(9, '{"b":2}')] },
    {
      name: "empty and whitespace-only lines skipped, still counted",
      input: '\n  \t \r\n{"a":1}\n\t\n \n{"b":"x y"}\n   ',
      want: [ok(7, '{"a":1}'), ok(19, '{"b":"x y"}')],
    },
    {
      name: "surrounding whitespace is kept in the text",
      input: '  {"a":1}  \n',
      want: [ok(0, '  {"a":1}  ')],
    },
    {
      name: "invalid lines are emitted with an error",
      input: '{"a":1}\n{"a":\nnot json\n{"b":2}\n',
      want: [ok(0, '{"a":1}'), bad(8, '{"a":'), bad(14, "not json"), ok(23, '{"b":2}')],
    },
    {
      name: "multi-byte UTF-8 inside strings",
      input: '{"m":"日本😀"}\n{"m":"é"}\n',
      want: [ok(0, '{"m":"日本😀"}'), ok(19, '{"m":"é"}')],
    },
    {
      name: "truncated lines are flagged, not JSON-checked",
      input: '{"message":"' + "x".repeat(50) + '"}\n{"ok":true}\n',
      max: 20,
      want: [ok(0, '{"message":"xxxxxxxx', true), ok(65, '{"ok":true}')],
    },
    {
      name: "a truncated whitespace prefix is still emitted (its rest is unknown)",
      input: " ".repeat(10) + "x\n",
      max: 4,
      want: [ok(0, "    ", true)],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const out = await decodeEveryWay(ndjsonDecoder({ maxEventBytes: c.max ?? 1024 }), c.input);
      expect(out.error).toBeUndefined();
      expect(out.records).toEqual(c.want);
    });
  }

  it("keeps the error reason short for a long invalid line", async () => {
    const line = "{" + "z".repeat(100_000);
    const out = await decodeEveryWay(ndjsonDecoder({ maxEventBytes: 1 << 20 }), `${line}\n{}\n`, BIG_CHUNKINGS);
    expect(out.records).toHaveLength(2);
    const [first, second] = out.records as [DecodedRecord, DecodedRecord];
    expect(first.text).toBe(line);
    expect(first.error).toMatch(/^line is not valid JSON: /);
    expect((first.error as string).length).toBeLessThan(200);
    expect(second).toEqual(ok(100_002, "{}"));
  });
});
