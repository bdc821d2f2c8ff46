/** utf8Boundary: where a byte range may be cut without splitting a character, at every lead-byte class boundary and from a start other than 0. */
import { describe, expect, it } from "vitest";
import { utf8Boundary } from "../../src/objects/decoders/utf8.ts";

const b = (...bytes: number[]) => Uint8Array.from(bytes);

describe("utf8Boundary", () => {
  it.each<[name: string, buf: Uint8Array, start: number, end: number, want: number]>([
    // Lead bytes at the edges of each class: C0 starts a 2-byte sequence, E0 a 3-byte one, F0 a 4-byte one.
    ["C0 alone (2-byte lead) is cut off", b(0x61, 0xc0), 0, 2, 1],
    ["BF (a continuation byte) is left alone", b(0x61, 0xbf), 0, 2, 2],
    ["C2 80 complete", b(0x61, 0xc2, 0x80), 0, 3, 3],
    ["DF (last 2-byte lead) alone is cut off", b(0x61, 0xdf), 0, 2, 1],
    ["E0 A0 (3-byte lead, 1 of 2 continuations)", b(0x61, 0xe0, 0xa0), 0, 3, 1],
    ["E0 A0 80 complete", b(0x61, 0xe0, 0xa0, 0x80), 0, 4, 4],
    ["EF BF (last 3-byte lead, incomplete)", b(0x61, 0xef, 0xbf), 0, 3, 1],
    ["EF BF BF complete", b(0x61, 0xef, 0xbf, 0xbf), 0, 4, 4],
    ["F0 90 80 (4-byte lead, 2 of 3 continuations)", b(0x61, 0xf0, 0x90, 0x80), 0, 4, 1],
    ["F0 90 80 80 complete", b(0x61, 0xf0, 0x90, 0x80, 0x80), 0, 5, 5],
    ["F4 8F BF (incomplete)", b(0x61, 0xf4, 0x8f, 0xbf), 0, 4, 1],
    // Only the bytes before `end` count: what follows is not looked at.
    ["cut right after a lead byte, its continuations after end", b(0xe6, 0x97, 0xa5), 0, 1, 0],
    ["an empty range", b(0xe6, 0x97, 0xa5), 0, 0, 0],
    // Four continuation bytes in a row: invalid UTF-8, left alone (no lead within 3 bytes).
    ["four continuation bytes after a 4-byte lead", b(0xf0, 0x80, 0x80, 0x80, 0x80), 0, 5, 5],
    ["four continuation bytes after a 3-byte lead", b(0xe0, 0x80, 0x80, 0x80, 0x80), 0, 5, 5],
    // A start other than 0: the cut never goes before it.
    ["from 2: lead at start, incomplete", b(0x61, 0x61, 0xe6, 0x97), 2, 4, 2],
    ["from 2: lead at start, complete", b(0x61, 0x61, 0xe6, 0x97, 0xa5), 2, 5, 5],
    ["from 1: continuations only (their lead lies before start)", b(0xe6, 0x97, 0xa5), 1, 3, 3],
    ["from 1: one continuation of a lead before start", b(0xe6, 0x97, 0xa5), 1, 2, 2],
    ["from 3: an empty range after a lead", b(0x61, 0x61, 0xe6, 0x97), 3, 3, 3],
    ["from 2: an incomplete char after a complete one", b(0x61, 0x61, 0xc3, 0xa9, 0xe6, 0x97), 2, 6, 4],
  ])("%s", (_name, buf, start, end, want) => {
    expect(utf8Boundary(buf, start, end)).toBe(want);
  });
});
