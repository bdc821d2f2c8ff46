/** linesDecoder on lines spread over several chunks, those over 1 MiB assembled in one reused buffer: exact text, offsets, truncation and CR stripping; splitLines with an accept-all callback (nothing after a final newline). */
import { describe, expect, it } from "vitest";
import type { DecodedRecord } from "../../src/events/record.ts";
import { linesDecoder, splitLines } from "../../src/objects/decoders/lines.ts";
import { BIG_CHUNKINGS, bySizes, decodeEveryWay, run } from "../support/chunks.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** `n` bytes of varied ASCII (no newline): a byte out of place changes the text. */
function varied(n: number, seed: number): string {
  let s = "";
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let i = 0; s.length < n; i++) s += `${alphabet[(i * 7 + seed) % alphabet.length]}${i % 10}`;
  return s.slice(0, n);
}

const rec = (offset: number, text: string, truncated = false): DecodedRecord => ({ offset, text, truncated });

describe("linesDecoder: lines over several chunks", () => {
  const max = 1.25 * MiB;
  const first = varied(1.2 * MiB, 1); // fits
  const second = varied(1.5 * MiB, 2); // cut at max
  const third = varied(1.1 * MiB, 3); // fits, ends with a CR stripped
  const src = Buffer.from(`${first}\nshort\n${second}\n${third}\r\nlast`, "latin1");

  it("keeps every byte in place, cuts at maxEventBytes and strips the CR, however the chunks fall", async () => {
    const out = await decodeEveryWay(linesDecoder({ maxEventBytes: max }), src, {
      ...BIG_CHUNKINGS,
      "7 KiB + 1": (data) => bySizes(data, () => 7 * KiB + 1),
    });
    expect(out.error).toBeUndefined();
    const o2 = first.length + 1;
    const o3 = o2 + 6;
    const o4 = o3 + second.length + 1;
    expect(out.records).toEqual([rec(0, first), rec(o2, "short"), rec(o3, second.slice(0, max), true), rec(o4, third), rec(o4 + third.length + 2, "last")]);
  });

  it("a CR ending a chunk is stripped only when the line ends right after it", async () => {
    const line = varied(300, 4);
    const data = Buffer.from(`${line}\r\n${line}\rX\n`, "latin1");
    // Chunks end right after each CR.
    const cut1 = line.length + 1;
    const cut2 = cut1 + 1 + line.length + 1;
    async function* chunks() {
      yield data.subarray(0, cut1);
      yield data.subarray(cut1, cut2);
      yield data.subarray(cut2);
    }
    const out = await run(linesDecoder({ maxEventBytes: 1024 }), chunks());
    expect(out.records).toEqual([rec(0, line), rec(line.length + 2, `${line}\rX`)]);
  });
});

describe("splitLines: what is a line", () => {
  it.each<[input: string, want: Array<[offset: number, text: string]>]>([
    ["", []],
    ["a\n", [[0, "a"]]],
    [
      "a\nb",
      [
        [0, "a"],
        [2, "b"],
      ],
    ],
    ["\n", [[0, ""]]],
    [
      "a\n\n",
      [
        [0, "a"],
        [2, ""],
      ],
    ],
    [
      "a\r\n\r",
      [
        [0, "a"],
        [3, ""],
      ],
    ],
  ])("%j", async (input, want) => {
    const decoder = (chunks: AsyncIterable<Buffer>) => splitLines(chunks, 1024, () => true);
    const out = await decodeEveryWay(decoder, input);
    expect(out.records.map((r) => [r.offset, r.text])).toEqual(want);
  });
});
