import { describe, it, expect } from "vitest";
import type { Decoder, DecodedRecord } from "../../src/reader/decoders/decoder.ts";
import { ndjsonDecoder } from "../../src/reader/decoders/ndjson.ts";
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
