import { describe, it, expect } from "vitest";
import type { DecodedRecord } from "../../src/events/record.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { utf8Boundary } from "../../src/objects/decoders/utf8.ts";
import { bySizes, BIG_CHUNKINGS, run, decodeEveryWay } from "../support/chunks.ts";

const rec = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated });

describe("linesDecoder", () => {
  const cases: Array<{ name: string; input: string; max?: number; want: DecodedRecord[] }> = [
    { name: "LF-terminated lines", input: "a\nbb\nccc\n", want: [rec(0, "a"), rec(2, "bb"), rec(5, "ccc")] },
    { name: "no trailing newline", input: "a\nbc", want: [rec(0, "a"), rec(2, "bc")] },
    { name: "CRLF", input: "a\r\nbb\r\nc", want: [rec(0, "a"), rec(3, "bb"), rec(7, "c")] },
    { name: "only one trailing CR is stripped", input: "a\r\r\nb\r", want: [rec(0, "a\r"), rec(4, "b")] },
    { name: "CR inside a line is kept", input: "a\rb\n", want: [rec(0, "a\rb")] },
    {
      name: "empty lines skipped but counted in offsets",
      input: "\n\na\n\r\n\nb\n\n",
      want: [rec(2, "a"), rec(7, "b")],
    },
    { name: "empty input", input: "", want: [] },
    { name: "only newlines", input: "\n\r\n\n\r", want: [] },
    {
      name: "multi-byte UTF-8 (offsets are bytes)",
      input: "héllo\n日本語\n😀x\nend",
      want: [rec(0, "héllo"), rec(7, "日本語"), rec(17, "😀x"), rec(23, "end")],
    },
    { name: "line of exactly max bytes", input: "abc\nd\n", max: 3, want: [rec(0, "abc"), rec(4, "d")] },
    { name: "max bytes plus CRLF is not truncated", input: "abc\r\nd", max: 3, want: [rec(0, "abc"), rec(5, "d")] },
    { name: "one byte over max", input: "abcd\r\nd", max: 3, want: [rec(0, "abc", true), rec(6, "d")] },
    {
      name: "truncation keeps the next line intact",
      input: "abcdefgh\nxy\nlast line too long",
      max: 4,
      want: [rec(0, "abcd", true), rec(9, "xy"), rec(12, "last", true)],
    },
    { name: "cut backs off before a 3-byte char", input: "ab日c\nz", max: 4, want: [rec(0, "ab", true), rec(7, "z")] },
    { name: "cut backs off before a 4-byte char", input: "😀😀\n", max: 7, want: [rec(0, "😀", true)] },
    { name: "cut right after a 4-byte char", input: "😀😀\n", max: 4, want: [rec(0, "😀", true)] },
    { name: "limit below the first char: empty but flagged", input: "日\nok", max: 2, want: [rec(0, "", true), rec(4, "ok")] },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const out = await decodeEveryWay(linesDecoder({ maxEventBytes: c.max ?? 1024 }), c.input);
      expect(out.error).toBeUndefined();
      expect(out.records).toEqual(c.want);
    });
  }

  it("gives every record the byte offset of its source text", async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `${i} ${"é€😀x".repeat(i % 7)}`);
    const separators = ["\n", "\r\n", "\n\n", "\r\n\r\n"];
    const src = Buffer.from(lines.map((l, i) => l + separators[i % separators.length]).join(""), "utf8");
    const out = await decodeEveryWay(linesDecoder({ maxEventBytes: 1 << 20 }), src);
    expect(out.records.map((r) => r.text)).toEqual(lines);
    for (const r of out.records) {
      expect(src.subarray(r.offset, r.offset + Buffer.byteLength(r.text)).toString("utf8")).toBe(r.text);
    }
  });

  it("truncates a 5 MB line at a char boundary, discards its rest and keeps the next line", async () => {
    const long = "é".repeat(2.5 * 1024 * 1024); // 5 MiB of 2-byte chars
    const src = Buffer.from(`first\n${long}\r\nnext\n`, "utf8");
    const out = await decodeEveryWay(linesDecoder({ maxEventBytes: 1001 }), src, BIG_CHUNKINGS);
    expect(out.records).toEqual([
      rec(0, "first"),
      rec(6, "é".repeat(500), true), // 1001 would split a char: 1000 bytes kept
      rec(6 + 5 * 1024 * 1024 + 2, "next"),
    ]);
  });

  it("streams a line spanning many chunks in linear time", async () => {
    const src = Buffer.from(`${"a".repeat(4 * 1024 * 1024)}\nb`, "utf8");
    const started = performance.now();
    const out = await run(
      linesDecoder({ maxEventBytes: 8 * 1024 * 1024 }),
      bySizes(src, () => 512),
    );
    expect(out.records.map((r) => [r.offset, r.text.length])).toEqual([
      [0, 4 * 1024 * 1024],
      [4 * 1024 * 1024 + 1, 1],
    ]);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("utf8Boundary", () => {
  const bytes = Buffer.from("a日😀", "utf8"); // a | E6 97 A5 | F0 9F 98 80
  const cases: Array<[end: number, want: number]> = [
    [0, 0],
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 4],
    [5, 4],
    [6, 4],
    [7, 4],
    [8, 8],
  ];
  for (const [end, want] of cases) {
    it(`cut at ${end} -> ${want}`, () => expect(utf8Boundary(bytes, 0, end)).toBe(want));
  }
});

describe("linesDecoder: size as shipped and invalid UTF-8", () => {
  /** UTF-8 text and raw bytes (number arrays), joined. */
  const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

  it("flags each line whose bytes are not UTF-8, and only those", async () => {
    const src = bytes("ok\nbad ", [0xff, 0xfe], "\nné: né\ncut ", [0xe6, 0x97], "\n\uFFFD literal\n");
    const out = await decodeEveryWay(linesDecoder({ maxEventBytes: 1024 }), src);
    expect(out.records).toEqual([
      rec(0, "ok"),
      { ...rec(3, "bad \uFFFD\uFFFD"), invalidUtf8: true },
      rec(10, "né: né"),
      { ...rec(19, "cut \uFFFD"), invalidUtf8: true },
      rec(26, "\uFFFD literal"), // an encoded U+FFFD is valid UTF-8
    ]);
  });

  it("cuts a line of NUL bytes to maxEventBytes as shipped (\\u0000: 6 bytes each), wherever chunks end", async () => {
    const src = Buffer.concat([Buffer.alloc(3000), Buffer.from("\nafter\n")]);
    const out = await decodeEveryWay(linesDecoder({ maxEventBytes: 1024 }), src, BIG_CHUNKINGS);
    expect(out.records).toEqual([rec(0, "\u0000".repeat(170), true), rec(3001, "after")]);
  });

  it("cuts quotes, backslashes and control characters as shipped", async () => {
    const out = await decodeEveryWay(linesDecoder({ maxEventBytes: 8 }), 'a"b\\c\td\u0001e\n"""""\n');
    expect(out.records).toEqual([rec(0, 'a"b\\c', true), rec(10, '""""', true)]);
  });

  it("a 10 MiB line of NUL bytes ships at most maxEventBytes", async () => {
    const max = 10 * 1024 * 1024;
    const out = await run(
      linesDecoder({ maxEventBytes: max }),
      bySizes(Buffer.alloc(10.5 * 1024 * 1024), () => 65536),
    );
    expect(out.records).toHaveLength(1);
    const [r] = out.records as [DecodedRecord];
    expect(r.truncated).toBe(true);
    expect(r.text.length).toBe(Math.floor(max / 6));
    expect(Buffer.byteLength(JSON.stringify(r.text)) - 2).toBeLessThanOrEqual(max);
  });
});
