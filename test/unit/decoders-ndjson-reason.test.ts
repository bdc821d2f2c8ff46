/** ndjsonDecoder's error reason: the parser's message kept whole up to 120 characters, cut with "…" past that, whatever was thrown. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ndjsonDecoder } from "../../src/objects/decoders/ndjson.ts";
import { run } from "../support/chunks.ts";

async function* once(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text, "utf8");
}

/** The error of the single record decoded from `line` while JSON.parse throws `thrown`. */
async function errorWhenParseThrows(thrown: unknown): Promise<string | undefined> {
  // V8's own messages stay under 120 characters: a parser with longer ones is stood in for.
  vi.spyOn(JSON, "parse").mockImplementation(() => {
    throw thrown;
  });
  const out = await run(ndjsonDecoder({ maxEventBytes: 1024 }), once("{x}\n"));
  expect(out.error).toBeUndefined();
  expect(out.records.map((r) => [r.offset, r.text, r.truncated])).toEqual([[0, "{x}", false]]);
  return out.records[0]?.error;
}

describe("ndjsonDecoder: the reason of an invalid line", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const m = (n: number) => "m".repeat(n - 1) + "!";

  it.each([
    ["a short message, whole", new SyntaxError("bad"), "bad"],
    ["a message of exactly 120 characters, whole", new SyntaxError(m(120)), m(120)],
    ["a message of 121 characters, cut to 120 and an ellipsis", new SyntaxError(m(121)), `${"m".repeat(120)}…`],
    ["a message of 500 characters, cut to 120 and an ellipsis", new Error("e".repeat(500)), `${"e".repeat(120)}…`],
    ["something thrown that is not an Error, as text", "not an error", "not an error"],
    ["a long non-Error, cut too", "s".repeat(130), `${"s".repeat(120)}…`],
  ])("%s", async (_name, thrown, reason) => {
    expect(await errorWhenParseThrows(thrown)).toBe(`line is not valid JSON: ${reason}`);
  });

  it("V8's own reason is passed on as it is", async () => {
    const line = '{"a":1}x';
    const reason = (() => {
      try {
        JSON.parse(line);
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(reason).toMatch(/\S/);
    const out = await run(ndjsonDecoder({ maxEventBytes: 1024 }), once(`${line}\n`));
    expect(out.records[0]?.error).toBe(`line is not valid JSON: ${reason}`);
  });
});
