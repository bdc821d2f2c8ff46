/** decompressIfGzip's failures: corrupt or truncated gzip data is a deterministic CorruptGzipError; the stream's own errors pass through untouched. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CorruptGzipError, decompressIfGzip, isGzip } from "../../src/objects/gzip.ts";

const TEXT = "first line\nsecond line\n".repeat(50);

async function read(parts: Array<Buffer | Error>): Promise<{ out: string; error?: unknown }> {
  const source = (async function* () {
    for (const p of parts) {
      if (p instanceof Error) throw p;
      yield p;
    }
  })();
  let out = "";
  try {
    for await (const c of decompressIfGzip(source)) out += c.toString();
  } catch (error) {
    return { out, error };
  }
  return { out };
}

describe("isGzip: both magic bytes", () => {
  it.each([
    ["the second byte only", [0x00, 0x8b], false],
    ["the first byte only", [0x1f, 0x00], false],
  ])("%s", (_name, bytes, want) => {
    expect(isGzip(Uint8Array.from(bytes))).toBe(want);
  });
});

describe("decompressIfGzip: failures", () => {
  it("corrupt data: a deterministic CorruptGzipError saying how far it got", async () => {
    const gz = gzipSync(TEXT);
    const bad = Buffer.from(gz);
    for (let i = 12; i < 40; i++) bad[i] = 0xff;
    const { error } = await read([bad]);
    expect(error).toBeInstanceOf(CorruptGzipError);
    const e = error as CorruptGzipError;
    expect(e.deterministic).toBe(true);
    expect(e.compressedBytes).toBe(bad.length);
    expect(e.message).toMatch(new RegExp(`^corrupt gzip data after ${bad.length} compressed bytes: .+`));
    expect((e.cause as { code?: string }).code).toBe("Z_DATA_ERROR");
  });

  it("an object that ends mid-stream after its whole body was read: deterministic (truncated)", async () => {
    const gz = gzipSync(TEXT);
    const { error } = await read([gz.subarray(0, gz.length - 10)]);
    expect(error).toBeInstanceOf(CorruptGzipError);
    expect((error as CorruptGzipError).deterministic).toBe(true);
    expect(((error as CorruptGzipError).cause as { code?: string }).code).toBe("Z_BUF_ERROR");
  });

  it.each([
    ["a network error", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["an error without a code", new Error("aborted")],
    ["an error whose code is not text", Object.assign(new Error("odd"), { code: 5 })],
  ])("the stream's own failure passes through as is: %s", async (_name, err) => {
    const gz = gzipSync(TEXT);
    const { error } = await read([gz.subarray(0, 20), err]);
    expect(error).toBe(err);
  });
});
