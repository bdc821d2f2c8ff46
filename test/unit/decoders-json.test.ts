import { describe, it, expect } from "vitest";
import type { Decoder } from "../../src/objects/decoders/decoder.ts";
import type { DecodedRecord } from "../../src/events/record.ts";
import { jsonDecoder } from "../../src/objects/decoders/json.ts";
import { bySizes, BIG_CHUNKINGS, run, decodeEveryWay } from "../support/chunks.ts";

const rec = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated });
const expand = (max = 1 << 20): Decoder => jsonDecoder({ maxEventBytes: max, expandEventListFromField: "Records" });
const whole = (max = 1 << 20): Decoder => jsonDecoder({ maxEventBytes: max });

/** Asserts each record is the exact source text at its byte offset. */
function expectSourceText(src: Buffer, records: DecodedRecord[]): void {
  for (const r of records) {
    const len = Buffer.byteLength(r.text, "utf8");
    expect(src.subarray(r.offset, r.offset + len).toString("utf8"), `record at ${r.offset}`).toBe(r.text);
  }
}

/** CloudTrail-like events whose strings hold the bytes a naive scanner trips on. */
const EVENTS: unknown[] = [
  {
    eventVersion: "1.08",
    userIdentity: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/a]b}c", sessionContext: { attributes: {} } },
    eventName: "GetObject",
    requestParameters: { bucketName: "logs", key: 'x"}]{[', tags: [{ k: "a\\" }, { k: "]" }, { k: '\\"' }] },
    numbers: [1, -2.5e3, 0, 1e-7, true, false, null],
    note: "日本語 😀 é \\",
  },
  { eventName: "PutObject", empty: {}, emptyArr: [], s: "", nested: [[[]], [{}], { a: [{ b: "}" }] }] },
  { eventName: "Records", Records: ["not", "expanded"] },
];

describe("jsonDecoder with expandEventListFromField", () => {
  const layouts: Record<string, string> = {
    compact: JSON.stringify({ Records: EVENTS }),
    pretty: JSON.stringify({ Records: EVENTS }, null, 2),
    "field after other keys": JSON.stringify({
      before: { Records: "decoy", list: ['"Records":[', "]"] },
      "Records ": [0],
      Records: EVENTS,
      after: [1, { x: "]" }],
    }),
    "top-level array": ` \n${JSON.stringify(EVENTS, null, 1)}\n`,
  };

  for (const [name, text] of Object.entries(layouts)) {
    it(`emits each element with its exact text and offset (${name})`, async () => {
      const src = Buffer.from(text, "utf8");
      const out = await decodeEveryWay(expand(), src);
      expect(out.error).toBeUndefined();
      expect(out.records.map((r) => JSON.parse(r.text) as unknown)).toEqual(EVENTS);
      expect(out.records.every((r) => !r.truncated && r.error === undefined)).toBe(true);
      expectSourceText(src, out.records);
    });
  }

  it("keeps escapes and whitespace inside elements verbatim", async () => {
    const src = '{"Records": [ {"a" : "q\\"}]" ,"u":"\\u005d\\\\"} ,\t2 , "s\\\\" ,[ ] ]}';
    const out = await decodeEveryWay(expand(), src);
    expect(out.records).toEqual([rec(14, '{"a" : "q\\"}]" ,"u":"\\u005d\\\\"}'), rec(48, "2"), rec(52, '"s\\\\"'), rec(59, "[ ]")]);
    expectSourceText(Buffer.from(src), out.records);
  });

  it("compares keys after unescaping them", async () => {
    const out = await decodeEveryWay(expand(), '{"Rec\\u006frds":[1,2],"Records\\u0000":[3]}');
    expect(out.records).toEqual([rec(17, "1"), rec(19, "2")]);
  });

  it("emits a digest file (no such field) whole, with an error", async () => {
    const digest = '{"awsAccountId":"123456789012","digestStartTime":"2024-01-01T00:00:00Z","logFiles":[{"s3Object":"a"}]}';
    const out = await decodeEveryWay(expand(), `${digest}\n`);
    expect(out.error).toBeUndefined();
    expect(out.records).toEqual([{ ...rec(0, digest), error: 'field "Records" not found' }]);
  });

  it("emits a top-level value whose field is not an array whole, with an error", async () => {
    const src = '{"Records":{"a":[1]}} "str" 7';
    const out = await decodeEveryWay(expand(), src);
    expect(out.records).toEqual([
      { ...rec(0, '{"Records":{"a":[1]}}'), error: 'field "Records" is not an array' },
      { ...rec(22, '"str"'), error: 'field "Records" not found' },
      { ...rec(28, "7"), error: 'field "Records" not found' },
    ]);
  });

  it("handles concatenated objects, with or without whitespace between them", async () => {
    const src = '{"Records":[{"a":1}]}{"Records":[]}\n\n{"x":1}  {"Records":[{"b":2},{"c":3}]}';
    const out = await decodeEveryWay(expand(), src);
    expect(out.records).toEqual([rec(12, '{"a":1}'), { ...rec(37, '{"x":1}'), error: 'field "Records" not found' }, rec(58, '{"b":2}'), rec(66, '{"c":3}')]);
    expectSourceText(Buffer.from(src), out.records);
  });

  it("truncates a long element on a char boundary and keeps scanning", async () => {
    const long = { m: "日日日日日日日日", tail: '"]}' }; // the cut lands inside a 3-byte char
    const src = JSON.stringify({ Records: [long, { after: "]" }] });
    // 13 raw bytes would end inside the 3rd 日; as shipped, {\"m\":\" takes 9 bytes and one 日 3
    // more. The next element (13 bytes) ships as 17 and is cut too, after {\"after\":\" (13).
    const out = await decodeEveryWay(expand(13), src);
    expect(out.records).toEqual([rec(12, '{"m":"日', true), rec(59, '{"after":"', true)]);
  });

  it("skips a huge other key and truncates a 5 MB element without losing its neighbours", async () => {
    const big = "é".repeat(2.5 * 1024 * 1024);
    const text = JSON.stringify({ junk: big.slice(0, 1000) + '"]}{[' + big, Records: [{ m: big }, { ok: 1 }] });
    const src = Buffer.from(text, "utf8");
    const out = await decodeEveryWay(expand(1001), src, BIG_CHUNKINGS);
    expect(out.error).toBeUndefined();
    expect(out.records).toHaveLength(2);
    const [first, second] = out.records as [DecodedRecord, DecodedRecord];
    expect(first.truncated).toBe(true);
    expect(first.text).toBe(`{"m":"${"é".repeat(496)}`); // 9 bytes as shipped ({\"m\":\") + 992; 1001 would split a char
    expect(second).toEqual(rec(src.length - 10, '{"ok":1}'));
    expectSourceText(src, [first, second]);
  });
});

describe("jsonDecoder without expandEventListFromField", () => {
  it("emits every top-level value", async () => {
    const src = ' {"a":[1,{"b":"}"}]}\n[1, 2]"s\\"" 3.5e-2 true\nnull -0 {}[]';
    const out = await decodeEveryWay(whole(), src);
    expect(out.error).toBeUndefined();
    expect(out.records).toEqual([
      rec(1, '{"a":[1,{"b":"}"}]}'),
      rec(21, "[1, 2]"),
      rec(27, '"s\\""'),
      rec(33, "3.5e-2"),
      rec(40, "true"),
      rec(45, "null"),
      rec(50, "-0"),
      rec(53, "{}"),
      rec(55, "[]"),
    ]);
    expectSourceText(Buffer.from(src), out.records);
  });

  it("emits a CloudTrail file as one record", async () => {
    const text = JSON.stringify({ Records: EVENTS });
    const out = await decodeEveryWay(whole(), `${text}\n`);
    expect(out.records).toEqual([rec(0, text)]);
  });

  it("truncates a long top-level value", async () => {
    const out = await decodeEveryWay(whole(5), '{"a":"bcdef"} 12345678 1');
    // Cut as shipped: {\"a takes 4 bytes, the next \" would make 6.
    expect(out.records).toEqual([rec(0, '{"a', true), rec(14, "12345", true), rec(23, "1")]);
  });

  for (const input of ["", " \n\t\r\n "]) {
    it(`emits nothing for ${JSON.stringify(input)}`, async () => {
      expect(await decodeEveryWay(whole(), input)).toEqual({ records: [] });
    });
  }
});

describe("jsonDecoder on malformed input", () => {
  const cases: Array<{ input: string; expandField?: boolean; error: string; before?: string[] }> = [
    { input: '{"a":1}}', error: "malformed JSON at byte 7: unexpected '}'", before: ['{"a":1}'] },
    { input: '{"a":1} garbage', error: "malformed JSON at byte 8: unexpected 'g'", before: ['{"a":1}'] },
    { input: "[1,2", error: "malformed JSON at byte 4: unexpected end of input" },
    { input: '{"a":"abc', error: "malformed JSON at byte 9: unexpected end of input" },
    { input: '{"a":"abc\\', error: "malformed JSON at byte 10: unexpected end of input" },
    { input: '{"a" 1}', error: "malformed JSON at byte 5: unexpected '1'" },
    { input: '{"a":1,}', error: "malformed JSON at byte 7: unexpected '}'" },
    { input: "[1,]", error: "malformed JSON at byte 3: unexpected ']'" },
    { input: "[1 2]", error: "malformed JSON at byte 3: unexpected '2'" },
    { input: '{"a":1]', error: "malformed JSON at byte 6: unexpected ']'" },
    { input: "{1:2}", error: "malformed JSON at byte 1: unexpected '1'" },
    { input: '{"a":tru}', error: 'malformed JSON at byte 5: invalid literal "tru"' },
    { input: "1 2 01", error: 'malformed JSON at byte 4: invalid literal "01"', before: ["1", "2"] },
    { input: "\u00a0{}", error: "malformed JSON at byte 0: unexpected byte 0xc2" },
    {
      input: '{"Records":[{"a":1},{"b":"}"},]}',
      expandField: true,
      error: "malformed JSON at byte 30: unexpected ']'",
      before: ['{"a":1}', '{"b":"}"}'],
    },
    {
      input: '{"Records":[{"a":1}]} {"Records":[{"b":',
      expandField: true,
      error: "malformed JSON at byte 39: unexpected end of input",
      before: ['{"a":1}'],
    },
  ];

  for (const c of cases) {
    it(`${JSON.stringify(c.input)} -> ${c.error}`, async () => {
      const out = await decodeEveryWay(c.expandField ? expand() : whole(), c.input);
      expect(out.error).toBe(c.error);
      expect(out.records.map((r) => r.text)).toEqual(c.before ?? []);
    });
  }

  it("rejects nesting deeper than 10000", async () => {
    const out = await run(
      whole(),
      bySizes(Buffer.from("[".repeat(10_001)), () => 4096),
    );
    expect(out.error).toBe("malformed JSON at byte 10000: nesting deeper than 10000");
  });
});

describe("jsonDecoder: size as shipped and invalid UTF-8", () => {
  it("flags each Records element whose bytes are not UTF-8, and only those", async () => {
    const raw = (b: number[]) => Buffer.from(b);
    const src = Buffer.concat([Buffer.from('{"Records":[{"a":"'), raw([0xff, 0xfe]), Buffer.from('"},{"a":"é"},{"a":"'), raw([0xc3]), Buffer.from('"}]}')]);
    const out = await decodeEveryWay(expand(), src);
    expect(out.error).toBeUndefined();
    expect(out.records).toEqual([
      { ...rec(12, '{"a":"\uFFFD\uFFFD"}'), invalidUtf8: true },
      rec(23, '{"a":"é"}'),
      { ...rec(34, '{"a":"\uFFFD"}'), invalidUtf8: true },
    ]);
  });

  it("flags a whole top-level value that is not UTF-8", async () => {
    const out = await decodeEveryWay(whole(), Buffer.from('"\x80" "ok"', "latin1"));
    expect(out.records).toEqual([{ ...rec(0, '"\uFFFD"'), invalidUtf8: true }, rec(4, '"ok"')]);
  });

  it("cuts an element that ships past maxEventBytes once escaped (each quote takes 2)", async () => {
    const element = JSON.stringify({ q: '"'.repeat(300) }); // 608 bytes written, 1216 shipped
    const out = await decodeEveryWay(expand(1000), `{"Records":[${element},{"n":1}]}`);
    const [first, second] = out.records as [DecodedRecord, DecodedRecord];
    expect(first.truncated).toBe(true);
    expect(element.startsWith(first.text)).toBe(true);
    const shipped = Buffer.byteLength(JSON.stringify(first.text)) - 2;
    expect(shipped).toBeLessThanOrEqual(1000);
    expect(shipped).toBeGreaterThan(996); // the longest prefix that fits
    expect(second).toEqual(rec(12 + element.length + 1, '{"n":1}'));
  });
});
