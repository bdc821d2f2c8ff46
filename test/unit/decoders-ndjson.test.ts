import { describe, it, expect } from "vitest";
import type { DecodedRecord } from "../../src/events/record.ts";
import { ndjsonDecoder } from "../../src/objects/decoders/ndjson.ts";
import { BIG_CHUNKINGS, decodeEveryWay } from "../support/chunks.ts";

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
      // 20 bytes as shipped: each quote takes 2 (\"), so 5 x's fit after {\"message\":\".
      want: [ok(0, '{"message":"xxxxx', true), ok(65, '{"ok":true}')],
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

describe("ndjsonDecoder: size as shipped and invalid UTF-8", () => {
  it("flags a line that is not UTF-8 (still checked as JSON), not the valid ones", async () => {
    const src = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}\n{"a":"é"}\n'), Buffer.from([0xfe]), Buffer.from("\n")]);
    const out = await decodeEveryWay(ndjsonDecoder({ maxEventBytes: 1024 }), src);
    expect(out.records.map((r) => [r.offset, r.text, r.invalidUtf8, r.error === undefined])).toEqual([
      [0, '{"a":"\uFFFD"}', true, true],
      [10, '{"a":"é"}', undefined, true],
      [21, "\uFFFD", true, false],
    ]);
  });

  it("cuts a line that ships past maxEventBytes once escaped, and does not JSON-check it", async () => {
    const line = JSON.stringify({ m: "\u0000".repeat(200) }); // 1214 bytes, 6 bytes per NUL as written
    const out = await decodeEveryWay(ndjsonDecoder({ maxEventBytes: 1300 }), `${line}\n{}\n`);
    const [first, second] = out.records as [DecodedRecord, DecodedRecord];
    // The line's \u0000 are six ASCII characters each, shipped as 7 (the backslash doubles).
    expect(first.truncated).toBe(true);
    expect(first.error).toBeUndefined();
    expect(line.startsWith(first.text)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(first.text)) - 2).toBeLessThanOrEqual(1300);
    expect(second).toEqual(ok(line.length + 1, "{}"));
  });
});
