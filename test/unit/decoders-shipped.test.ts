import { describe, expect, it } from "vitest";
import { encodeNdjson } from "../../src/outputs/ndjson.ts";
import { jsonStringBytes } from "../../src/util/jsonBytes.ts";
import { cutToJsonBytes, recordOf } from "../../src/objects/decoders/shipped.ts";
import { rng } from "../support/chunks.ts";

/** What JSON.stringify really ships for `text` inside a document: UTF-8 bytes, quotes excluded. */
const shipped = (text: string): number => Buffer.byteLength(JSON.stringify(text), "utf8") - 2;

const SAMPLES: Array<[string, string]> = [
  ["empty", ""],
  ["plain ASCII", "GET /index.html 200 1234"],
  ["NUL bytes (\\u0000, 6 each)", "\u0000".repeat(10)],
  ["quotes and backslashes (2 each)", '"a\\b"\\\\'],
  ["short escapes \\b \\f \\n \\r \\t (2 each)", "\b\f\n\r\t"],
  ["other control characters (6 each)", "\u0001\u0007\u000b\u001b\u001f"],
  ["DEL is not escaped", "\u007f"],
  ["2-byte characters", "éßø"],
  ["3-byte characters", "日本語€"],
  ["surrogate pairs (4 bytes)", "😀🎉"],
  ["lone high surrogate (\\ud800, 6)", "a\ud800b"],
  ["lone low surrogate (\\udc00, 6)", "\udc00"],
  ["high surrogate at the end", "x\ud83d"],
  ["U+FFFD", "\uFFFD"],
  ["a JSON log line", JSON.stringify({ msg: 'say "hi"\n', path: "C:\\temp", n: 1 })],
];

function randomText(r: () => number, length: number): string {
  const pick = [
    () => String.fromCharCode(Math.floor(r() * 0x20)), // control
    () => '"',
    () => "\\",
    () => String.fromCharCode(0x20 + Math.floor(r() * 0x5f)), // printable ASCII
    () => String.fromCharCode(0x80 + Math.floor(r() * 0x780)), // 2-byte
    () => String.fromCharCode(0x800 + Math.floor(r() * 0xd000)), // 3-byte (below surrogates)
    () => String.fromCodePoint(0x10000 + Math.floor(r() * 0xfffff)), // pair
    () => String.fromCharCode(0xd800 + Math.floor(r() * 0x800)), // lone surrogate
  ];
  let s = "";
  while (s.length < length) s += pick[Math.floor(r() * pick.length)]!();
  return s;
}

describe("jsonStringBytes: a string's size as shipped (JSON-escaped UTF-8)", () => {
  for (const [name, text] of SAMPLES) {
    it(name, () => expect(jsonStringBytes(text)).toBe(shipped(text)));
  }

  it("matches JSON.stringify on random text of every kind of character", () => {
    const r = rng(42);
    for (let i = 0; i < 2000; i++) {
      const text = randomText(r, Math.floor(r() * 40));
      expect(jsonStringBytes(text), JSON.stringify(text)).toBe(shipped(text));
    }
  });

  it("counts a line of NUL bytes six times over", () => {
    expect(jsonStringBytes("\u0000".repeat(1 << 20))).toBe(6 << 20);
  });
});

describe("cutToJsonBytes: the longest prefix that fits as shipped", () => {
  it("leaves text that fits alone", () => {
    expect(cutToJsonBytes("abc", 3)).toBeUndefined();
    expect(cutToJsonBytes('"', 2)).toBeUndefined();
    expect(cutToJsonBytes("", 0)).toBeUndefined();
  });

  it.each([
    ["NUL bytes", "\u0000".repeat(10), 20, "\u0000".repeat(3)],
    ["quotes", '""""', 5, '""'],
    ["a control character does not fit partly", "ab\u0001", 7, "ab"],
    ["a 3-byte character is kept whole or not at all", "a日b", 3, "a"],
    ["a surrogate pair is never split", "a😀b", 4, "a"],
    ["a surrogate pair fits in 4 bytes", "a😀b", 5, "a😀"],
    ["a lone surrogate takes 6", "\ud800x", 6, "\ud800"],
    ["nothing fits", "日", 2, ""],
  ])("%s", (_name, text, max, want) => {
    expect(cutToJsonBytes(text, max)).toBe(want);
  });

  it("is the longest prefix that fits, on random text", () => {
    const r = rng(7);
    for (let i = 0; i < 1000; i++) {
      const text = randomText(r, 1 + Math.floor(r() * 30));
      const max = Math.floor(r() * shipped(text));
      const cut = cutToJsonBytes(text, max);
      if (cut === undefined) {
        expect(shipped(text)).toBeLessThanOrEqual(max);
        continue;
      }
      expect(text.startsWith(cut)).toBe(true);
      expect(shipped(cut)).toBeLessThanOrEqual(max);
      // The next character (a whole pair, if it is one) would not fit.
      const next = text.codePointAt(cut.length)!;
      const step = next > 0xffff && (text.charCodeAt(cut.length) & 0xfc00) === 0xd800 ? 2 : 1;
      expect(shipped(text.slice(0, cut.length + step))).toBeGreaterThan(max);
    }
  });
});

describe("recordOf: a record's text, cut as shipped and checked for UTF-8", () => {
  const bytes = (s: string) => Buffer.from(s, "latin1");

  it("keeps valid UTF-8 as it is, unflagged (U+FFFD written in the data included)", () => {
    for (const text of ["plain", "日本語 😀", "\uFFFD is fine when encoded", ""]) {
      const buf = Buffer.from(`>${text}<`, "utf8");
      expect(recordOf(7, buf, 1, buf.length - 1, false, 1024)).toEqual({ offset: 7, text, truncated: false });
    }
  });

  it.each([
    ["a stray continuation byte", "a\x80b", "a\uFFFDb"],
    ["a truncated sequence", "a\xe6\x97b", "a\uFFFDb"],
    ["an overlong encoding", "\xc0\xaf", "\uFFFD\uFFFD"],
    ["an encoded surrogate", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"],
    ["0xFF", "x\xff", "x\uFFFD"],
  ])("flags %s as invalid UTF-8", (_name, raw, text) => {
    const buf = bytes(raw);
    expect(recordOf(0, buf, 0, buf.length, false, 1024)).toEqual({ offset: 0, text, truncated: false, invalidUtf8: true });
  });

  it("cuts a line of NUL bytes to maxEventBytes as shipped, decoding only what is kept", () => {
    const buf = Buffer.alloc(1000);
    const r = recordOf(0, buf, 0, buf.length, false, 600);
    expect(r).toEqual({ offset: 0, text: "\u0000".repeat(100), truncated: true });
  });

  it("cuts on a character boundary", () => {
    const buf = Buffer.from('"日本"', "utf8"); // ships as \"日本\": 2 + 3 + 3 + 2
    expect(recordOf(0, buf, 0, buf.length, false, 7)).toEqual({ offset: 0, text: '"日', truncated: true });
    expect(recordOf(0, buf, 0, buf.length, false, 9)).toEqual({ offset: 0, text: '"日本', truncated: true });
    expect(recordOf(0, buf, 0, buf.length, false, 10)).toEqual({ offset: 0, text: '"日本"', truncated: false });
  });

  it("measures invalid bytes as the U+FFFD they become (3 bytes each)", () => {
    const buf = Buffer.alloc(40, 0xff);
    const r = recordOf(0, buf, 0, buf.length, false, 60);
    expect(r).toEqual({ offset: 0, text: "\uFFFD".repeat(20), truncated: true, invalidUtf8: true });
  });

  it("keeps a record already cut by bytes flagged", () => {
    const buf = Buffer.from("abc");
    expect(recordOf(0, buf, 0, 2, true, 2)).toEqual({ offset: 0, text: "ab", truncated: true });
  });
});

describe("the NDJSON outputs ship exactly JSON.stringify of each event", () => {
  const event = (message: string) => ({
    "@timestamp": "2026-01-01T00:00:00.000Z",
    "@metadata": { beat: "s3beat" as const, version: "1", _id: "id" },
    message,
    log: { file: { path: "s3://b/k" }, offset: 0 },
    error: { message: "" },
  });
  it.each([
    ["a large plain message", "a".repeat(100_000)],
    ["a large message of NUL bytes", "\u0000".repeat(100_000)],
    ["a large message with quotes", 'say "x" '.repeat(20_000)],
    ["a large non-ASCII message", "é日😀".repeat(30_000)],
    ["a large message with lone surrogates", "\ud800x".repeat(40_000)],
    ["a large message holding the placeholder's text", "\u0001s3beat:message\u0001".repeat(5000)],
    ["a small message", "small"],
  ])("%s", (_name, message) => {
    const events = [event(message) as never, event("next") as never];
    const want = events.map((e) => JSON.stringify(e) + "\n").join("");
    expect(encodeNdjson(events).equals(Buffer.from(want, "utf8"))).toBe(true);
  });
});
