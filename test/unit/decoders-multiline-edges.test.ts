/** multiline at its edges: sticky and global patterns, a group exactly at maxEventBytes, no room left for a cut line, invalid UTF-8 in a cut line; createDecoder with an unknown decoder. */
import { describe, expect, it } from "vitest";
import type { DecoderSettings, MultilineSettings } from "../../src/config/settings.ts";
import type { DecodedRecord } from "../../src/events/record.ts";
import { createDecoder } from "../../src/objects/decoders/index.ts";
import { multiline } from "../../src/objects/decoders/multiline.ts";

async function collect(rs: DecodedRecord[], o: Partial<MultilineSettings> & { maxEventBytes?: number }): Promise<DecodedRecord[]> {
  const opts = { pattern: /^\s/, negate: false, match: "after" as const, maxLines: 500, maxEventBytes: 1024, ...o };
  const out: DecodedRecord[] = [];
  const input = (async function* () {
    yield* rs;
  })();
  for await (const r of multiline(input, opts)) out.push(r);
  return out;
}

const one = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated });
const many = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated, multiline: true });

describe("multiline: stateful patterns", () => {
  const input = [one(0, "a"), one(2, " b"), one(5, " c"), one(8, " d"), one(11, "e"), one(13, " f")];
  const want = [many(0, "a\n b\n c\n d"), many(11, "e\n f")];

  it.each([
    ["sticky", /\s/y],
    ["global and sticky", /\s/gy],
    ["sticky, case-insensitive", /\s/iy],
  ])("a %s pattern tests every line from its start", async (_name, pattern) => {
    expect(await collect(input, { pattern })).toEqual(want);
    expect(pattern.lastIndex).toBe(0);
  });

  it("keeps the pattern's other flags", async () => {
    const out = await collect([one(0, "x"), one(2, "ab"), one(5, "AB"), one(8, "y")], { pattern: /^a/gi });
    expect(out).toEqual([many(0, "x\nab\nAB"), one(8, "y")]);
  });
});

describe("multiline: maxEventBytes at its boundary", () => {
  it.each<[name: string, max: number, lines: string[], want: DecodedRecord]>([
    ["a group of exactly maxEventBytes is whole", 6, ["a", "  b"], many(0, "a\n  b")],
    ["one byte less cuts the last line", 5, ["a", "  b"], many(0, "a\n  ", true)],
    ["no room after the separator: the line is dropped whole", 5, ["abc", " x"], many(0, "abc", true)],
    ["one byte of room: its first character", 6, ["abc", " x"], many(0, "abc\n ", true)],
  ])("%s", async (_name, max, lines, want) => {
    let offset = 0;
    const rs = lines.map((l) => {
      const r = one(offset, l);
      offset += l.length + 1;
      return r;
    });
    expect(await collect(rs, { maxEventBytes: max })).toEqual([want]);
  });

  it("flags a group invalid UTF-8 when the part kept of a cut line is", async () => {
    const out = await collect([one(0, "a"), { ...one(2, " \uFFFDxyz"), invalidUtf8: true }], { maxEventBytes: 8 });
    expect(out).toEqual([{ ...many(0, "a\n \uFFFDx", true), invalidUtf8: true }]);
  });

  it("does not flag it when nothing of the invalid line fits", async () => {
    const out = await collect([one(0, "abc"), { ...one(4, " \uFFFD"), invalidUtf8: true }], { maxEventBytes: 5 });
    expect(out).toEqual([many(0, "abc", true)]);
  });

  it("takes no more lines once a line was cut, even if a later one would fit", async () => {
    // The NUL takes 6 as shipped: only the space of " \u0000\u0000" fits, leaving room that " x" would fill.
    const out = await collect([one(0, "abc"), one(4, " \u0000\u0000"), one(8, " x")], { maxEventBytes: 10 });
    expect(out).toEqual([many(0, "abc\n ", true)]);
  });

  it("gives a record only the keys it needs", async () => {
    const out = await collect([one(0, "a"), one(2, " b"), one(5, "c")], {});
    expect(out).toStrictEqual([many(0, "a\n b"), one(5, "c")]);
  });

  it("flags a group truncated when one of its lines was, even if all of it fits", async () => {
    expect(await collect([one(0, "a"), one(2, " b", true), one(5, " c")], {})).toEqual([many(0, "a\n b\n c", true)]);
  });

  it("counts the lines past maxLines, and flags their errors and truncation", async () => {
    const out = await collect([one(0, "a"), { ...one(2, " b", true), error: "e" }], { maxLines: 1 });
    expect(out).toEqual([{ ...many(0, "a", true), error: "e" }]);
  });
});

describe("createDecoder", () => {
  it("rejects a decoder it does not know", () => {
    expect(() => createDecoder({ decoder: "csv", maxEventBytes: 10 } as unknown as DecoderSettings)).toThrow('unknown decoder "csv"');
  });
});
