/** cutToJsonBytes and recordOf at the edges of each character class (U+007F/0080, U+07FF/0800, the surrogate ranges) and on a byte range inside a larger buffer. */
import { describe, expect, it } from "vitest";
import { cutToJsonBytes, recordOf } from "../../src/objects/decoders/shipped.ts";

describe("cutToJsonBytes: sizes at the edges of each character class", () => {
  it.each<[name: string, text: string, max: number, want: string | undefined]>([
    ["U+007F takes 1", "\u007f\u007f", 2, undefined],
    ["U+0080 takes 2", "\u0080\u0080", 3, "\u0080"],
    ["U+07FF takes 2", "\u07ff\u07ff", 4, undefined],
    ["U+0800 takes 3", "\u0800\u0800", 5, "\u0800"],
    ["U+D7FF takes 3", "\ud7ff\ud7ff", 6, undefined],
    ["U+E000 takes 3", "\ue000\ue000", 5, "\ue000"],
    ["a lone U+DFFF takes 6", "\udfff", 5, ""],
    ["a lone U+DFFF fits in 6", "\udfff", 6, undefined],
    ["a lone U+DBFF at the end takes 6", "a\udbff", 6, "a"],
    ["U+DBFF U+DFFF is a pair: 4", "\udbff\udfff", 4, undefined],
    ["two low surrogates are no pair: 6 each", "\udc00\udc00", 6, "\udc00"],
    ["a high surrogate before a non-surrogate: 6, then 1", "\ud800a", 6, "\ud800"],
  ])("%s", (_name, text, max, want) => {
    expect(cutToJsonBytes(text, max)).toBe(want);
  });
});

describe("recordOf: bytes at the edges", () => {
  it("counts the continuation byte 0x80 as one byte (Ā is C4 80)", () => {
    const buf = Buffer.from("ĀĀĀ", "utf8");
    expect(recordOf(3, buf, 0, buf.length, false, 4)).toEqual({ offset: 3, text: "ĀĀ", truncated: true });
    expect(recordOf(3, buf, 0, buf.length, false, 6)).toEqual({ offset: 3, text: "ĀĀĀ", truncated: false });
  });

  it("looks at no byte past the end of its range", () => {
    // 'a', then a lead byte missing its continuations, then a NUL outside the range.
    const buf = Buffer.from([0x61, 0xe6, 0x00]);
    expect(recordOf(0, buf, 0, 2, false, 4)).toEqual({ offset: 0, text: "a\uFFFD", truncated: false, invalidUtf8: true });
  });
});
