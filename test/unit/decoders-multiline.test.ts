import { describe, it, expect } from "vitest";
import type { DecoderSettings, MultilineSettings } from "../../src/config/settings.ts";
import type { Decoder } from "../../src/objects/decoders/decoder.ts";
import type { DecodedRecord } from "../../src/events/record.ts";
import { createDecoder } from "../../src/objects/decoders/index.ts";
import { multiline } from "../../src/objects/decoders/multiline.ts";
import { decodeEveryWay } from "../support/chunks.ts";

async function* records(...rs: DecodedRecord[]): AsyncGenerator<DecodedRecord> {
  yield* rs;
}

async function collect(it: AsyncIterable<DecodedRecord>): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

const one = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated });
const many = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated, multiline: true });

function lines(pattern: RegExp, negate: boolean, match: "after" | "before", maxLines = 500, maxEventBytes = 1 << 20): Decoder {
  const ml: MultilineSettings = { pattern, negate, match, maxLines };
  return createDecoder({ decoder: "lines", maxEventBytes, multiline: ml });
}

const JAVA = [
  'Exception in thread "main" java.lang.IllegalStateException: boom',
  "\tat com.example.Service.run(Service.java:42)",
  "    at com.example.Main.main(Main.java:7)",
  "Caused by: x", // not indented: starts a new event under ^\s
  "  ... 3 more",
  "INFO next event",
].join("\n");

describe("multiline (lines decoder + multiline, every chunking)", () => {
  const cases: Array<{ name: string; decoder: Decoder; input: string; want: DecodedRecord[] }> = [
    {
      name: "negate false, match after: indented lines continue the previous line",
      decoder: lines(/^\s/, false, "after"),
      input: JAVA + "\n",
      want: [many(0, JAVA.split("\n").slice(0, 3).join("\n")), many(152, "Caused by: x\n  ... 3 more"), one(178, "INFO next event")],
    },
    {
      name: "negate true, match after: lines without a timestamp continue the previous one",
      decoder: lines(/^\d{4}-/, true, "after"),
      input: "stray\n2024-01-01 a\n  cont 1\r\ncont 2\n2024-01-02 b\n2024-01-03 c\nx",
      want: [one(0, "stray"), many(6, "2024-01-01 a\n  cont 1\ncont 2"), one(36, "2024-01-02 b"), many(49, "2024-01-03 c\nx")],
    },
    {
      name: "negate false, match before: lines ending in a backslash continue into the next one",
      decoder: lines(/\\$/, false, "before"),
      input: "line one \\\nline two \\\nline three\nsingle\nopen \\",
      want: [many(0, "line one \\\nline two \\\nline three"), one(33, "single"), one(40, "open \\")],
    },
    {
      name: "negate true, match before: a statement runs until a line ending in ';'",
      decoder: lines(/;$/, true, "before"),
      input: "SELECT *\nFROM t\nWHERE x;\nSELECT 1;\nUPDATE t\n",
      want: [many(0, "SELECT *\nFROM t\nWHERE x;"), one(25, "SELECT 1;"), one(35, "UPDATE t")],
    },
    {
      name: "a global regex does not skip every other line (lastIndex)",
      decoder: lines(/^\s/g, false, "after"),
      input: "a\n b\n c\n d\n e\nf\n",
      want: [many(0, "a\n b\n c\n d\n e"), one(14, "f")],
    },
    {
      name: "lines past maxLines are dropped and the record flagged",
      decoder: lines(/^\s/, false, "after", 3),
      input: "head\n 1\n 2\n 3\n 4\nnext\n",
      want: [many(0, "head\n 1\n 2", true), one(17, "next")],
    },
    {
      name: "text past maxEventBytes is cut on a char boundary",
      decoder: lines(/^\s/, false, "after", 500, 12),
      input: "abc\n 日本語\n more\nnext\n",
      want: [many(0, "abc\n 日本", true), one(21, "next")], // 12 bytes would end inside 語
    },
    {
      name: "a truncated line makes its group truncated",
      decoder: lines(/^\s/, false, "after", 500, 6),
      input: "abcdefgh\n x\nnext\n",
      want: [many(0, "abcdef", true), one(12, "next")],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const out = await decodeEveryWay(c.decoder, c.input);
      expect(out.error).toBeUndefined();
      expect(out.records).toEqual(c.want);
    });
  }
});

describe("multiline on records", () => {
  const opts = (o: Partial<MultilineSettings> & { maxEventBytes?: number } = {}) => ({
    pattern: /^\s/,
    negate: false,
    match: "after" as const,
    maxLines: 500,
    maxEventBytes: 1024,
    ...o,
  });

  it("passes single lines through unchanged", async () => {
    const input = [one(0, "a"), one(2, "b", true), { ...one(9, "c"), error: "e" }];
    expect(await collect(multiline(records(...input), opts()))).toEqual(input);
  });

  it("keeps the first error of a group", async () => {
    const out = await collect(multiline(records(one(0, "a"), { ...one(2, " b"), error: "e1" }, { ...one(5, " c"), error: "e2" }), opts()));
    expect(out).toEqual([{ ...many(0, "a\n b\n c"), error: "e1" }]);
  });

  it("emits nothing for no input", async () => {
    expect(await collect(multiline(records(), opts()))).toEqual([]);
  });

  it("with match before, flushes an unterminated group at the end", async () => {
    const out = await collect(multiline(records(one(0, "a \\"), one(4, "b \\")), opts({ pattern: /\\$/, match: "before" })));
    expect(out).toEqual([many(0, "a \\\nb \\")]);
  });

  it("does not change the caller's regex", async () => {
    const pattern = /^\s/g;
    await collect(multiline(records(one(0, "a"), one(2, " b"), one(5, " c")), opts({ pattern })));
    expect(pattern.lastIndex).toBe(0);
    expect(pattern.flags).toBe("g");
  });
});

describe("createDecoder", () => {
  const base: DecoderSettings = { decoder: "lines", maxEventBytes: 1024 };
  const input = '{"Records":[{"a":1}]}\n\n{"b":2}\n';
  const cases: Array<[string, DecoderSettings, DecodedRecord[]]> = [
    ["lines", base, [one(0, '{"Records":[{"a":1}]}'), one(23, '{"b":2}')]],
    ["ndjson", { ...base, decoder: "ndjson" }, [one(0, '{"Records":[{"a":1}]}'), one(23, '{"b":2}')]],
    ["json", { ...base, decoder: "json" }, [one(0, '{"Records":[{"a":1}]}'), one(23, '{"b":2}')]],
    [
      "json with expandEventListFromField",
      { ...base, decoder: "json", expandEventListFromField: "Records" },
      [one(12, '{"a":1}'), { ...one(23, '{"b":2}'), error: 'field "Records" not found' }],
    ],
    [
      "lines with multiline",
      { ...base, multiline: { pattern: /^\{"b"/, negate: false, match: "after", maxLines: 10 } },
      [many(0, '{"Records":[{"a":1}]}\n{"b":2}')],
    ],
    // 4 bytes as shipped: the quote takes 2 (\").
    ["lines with a small maxEventBytes", { ...base, maxEventBytes: 4 }, [one(0, '{"R', true), one(23, '{"b', true)]],
  ];
  for (const [name, settings, want] of cases) {
    it(name, async () => {
      expect(await decodeEveryWay(createDecoder(settings), input)).toEqual({ records: want });
    });
  }

  it("the ndjson decoder flags a line that is not JSON", async () => {
    const out = await decodeEveryWay(createDecoder({ ...base, decoder: "ndjson" }), "{\n");
    expect(out.records[0]?.error).toMatch(/^line is not valid JSON: /);
  });
});

describe("multiline: size as shipped and invalid UTF-8", () => {
  it("flags a group with a line that is not UTF-8, not the valid groups", async () => {
    const src = Buffer.concat([Buffer.from("start 1\n  ok\nstart 2\n  bad "), Buffer.from([0xff]), Buffer.from("\nstart 3\n")]);
    const out = await decodeEveryWay(lines(/^\s/, false, "after"), src);
    expect(out.records).toEqual([many(0, "start 1\n  ok"), { ...many(13, "start 2\n  bad \uFFFD"), invalidUtf8: true }, one(29, "start 3")]);
  });

  it("counts the joined text as shipped: each \\n takes 2 bytes, each quote 2", async () => {
    // "a\n  b" ships as a\n  b (6); with "\n  c" it would be 11: 2 bytes of room are left.
    const out = await decodeEveryWay(lines(/^\s/, false, "after", 500, 10), 'a\n  b\n  c\n"\n');
    expect(out.records).toEqual([many(0, "a\n  b\n  ", true), one(10, '"')]);
  });

  it("cuts a group of NUL lines to maxEventBytes as shipped", async () => {
    const src = Buffer.from(`x\n ${"\u0000".repeat(100)}\n ${"\u0000".repeat(100)}\n`, "latin1");
    const out = await decodeEveryWay(lines(/^\s/, false, "after", 500, 300), src);
    const [r] = out.records as [DecodedRecord];
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(r.text)) - 2).toBeLessThanOrEqual(300);
    expect(Buffer.byteLength(JSON.stringify(r.text)) - 2).toBeGreaterThan(293);
  });
});
