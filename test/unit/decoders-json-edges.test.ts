/** jsonDecoder at its edges: number syntax, how an unexpected byte is shown, limits exactly at their boundaries (values, keys, tokens), and the end of input inside a token. */
import { describe, expect, it } from "vitest";
import type { DecodedRecord } from "../../src/events/record.ts";
import { jsonDecoder } from "../../src/objects/decoders/json.ts";
import { decodeEveryWay } from "../support/chunks.ts";

const rec = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated });
const whole = (max = 1 << 20) => jsonDecoder({ maxEventBytes: max });

describe("jsonDecoder: numbers and literals", () => {
  it.each(["1.25", "-0.125", "1e5", "1E+10", "2e-12", "-3.75E+100", "0", "true", "false", "null"])("accepts %s", async (text) => {
    const out = await decodeEveryWay(whole(), `${text} [${text}]`);
    expect(out).toEqual({ records: [rec(0, text), rec(text.length + 1, `[${text}]`)] });
  });

  it.each([
    ["1.", 'malformed JSON at byte 0: invalid literal "1."'],
    ["1e", 'malformed JSON at byte 0: invalid literal "1e"'],
    ["[-]", 'malformed JSON at byte 1: invalid literal "-"'],
    ["01", 'malformed JSON at byte 0: invalid literal "01"'],
  ])("rejects %s", async (input, error) => {
    expect(await decodeEveryWay(whole(), input)).toEqual({ records: [], error });
  });

  it("shows at most 32 characters of an invalid literal", async () => {
    const literal = `tru${"e".repeat(40)}`;
    const out = await decodeEveryWay(whole(), `[${literal}]`);
    expect(out.error).toBe(`malformed JSON at byte 1: invalid literal "${literal.slice(0, 32)}"`);
  });

  it("accepts a number of 4096 characters, not one of 4097", async () => {
    const ok = "1".repeat(4096);
    expect(await decodeEveryWay(whole(), `${ok} 7`)).toEqual({ records: [rec(0, ok), rec(4097, "7")] });
    expect(await decodeEveryWay(whole(), `7 ${ok}1`)).toEqual({ records: [rec(0, "7")], error: "malformed JSON at byte 2: number or literal too long" });
  });

  it("reports the end of input inside a nested literal as such", async () => {
    expect(await decodeEveryWay(whole(), "[tru")).toEqual({ records: [], error: "malformed JSON at byte 4: unexpected end of input" });
    expect(await decodeEveryWay(whole(), '{"a":[1,2')).toEqual({ records: [], error: "malformed JSON at byte 9: unexpected end of input" });
  });
});

describe("jsonDecoder: an unexpected byte", () => {
  it.each([
    ["!", "'!'"],
    ["~", "'~'"],
    ["\u0001", "byte 0x01"],
    ["\u001f", "byte 0x1f"],
    ["\u007f", "byte 0x7f"],
  ])("%j is shown as %s", async (input, shown) => {
    expect(await decodeEveryWay(whole(), `[1,${input}]`)).toEqual({ records: [], error: `malformed JSON at byte 3: unexpected ${shown}` });
  });
});

describe("jsonDecoder: limits at their boundaries", () => {
  it("a value of exactly maxEventBytes is whole, one byte more is cut, however the chunks fall", async () => {
    expect(await decodeEveryWay(whole(7), "[1,2,3] [1,2,34]")).toEqual({ records: [rec(0, "[1,2,3]"), rec(8, "[1,2,34", true)] });
  });

  it("the empty string and empty key", async () => {
    expect(await decodeEveryWay(whole(), '"" {"":""}')).toEqual({ records: [rec(0, '""'), rec(3, '{"":""}')] });
  });

  it("matches the field's key written with escapes, up to 6 bytes per character", async () => {
    const decoder = jsonDecoder({ maxEventBytes: 1024, expandEventListFromField: "a" });
    expect(await decodeEveryWay(decoder, '{"\\u0061":[1,2]}')).toEqual({ records: [rec(11, "1"), rec(13, "2")] });
    const two = jsonDecoder({ maxEventBytes: 1024, expandEventListFromField: "ab" });
    expect(await decodeEveryWay(two, '{"\\u0061\\u0062":[3]}')).toEqual({ records: [rec(17, "3")] });
  });
});
