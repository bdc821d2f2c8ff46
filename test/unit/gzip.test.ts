import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logging/logger.ts";
import { documentsOf, type OutputEvent } from "../../src/outputs/output.ts";
import { processObject } from "../../src/pipeline/objectProcessor.ts";
import { LargeRecordPermit } from "../../src/pipeline/readGate.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { decompressIfGzip, ObjectTooLargeError, RATIO_CHECK_MIN_BYTES, type ObjectLimits } from "../../src/objects/gzip.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

const KiB = 1024;
const MiB = 1024 * 1024;

/** `data` in chunks of `size`, noting whether the reader closed it early (an HTTP body must be released). */
function source(data: Buffer, size = 16 * KiB) {
  const state = { closed: false, read: 0 };
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let at = 0;
      return {
        async next() {
          if (at >= data.length) return { done: true, value: undefined };
          const chunk = data.subarray(at, at + size);
          at += chunk.length;
          state.read = at;
          return { done: false, value: chunk };
        },
        async return() {
          state.closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, state };
}

/** Reads everything decompressIfGzip yields; the error it ends with, if any. */
async function drain(data: Buffer, limits?: ObjectLimits) {
  const src = source(data);
  let bytes = 0;
  let error: unknown;
  try {
    for await (const chunk of decompressIfGzip(src.iterable, limits)) bytes += chunk.length;
  } catch (err) {
    error = err;
  }
  return { bytes, error, closed: src.state.closed, compressedRead: src.state.read };
}

describe("decompressIfGzip: object limits", () => {
  const bomb = gzipSync(Buffer.alloc(8 * MiB)); // ~8 KiB: deflate's ~1030:1

  it("passes everything through without limits", async () => {
    expect(await drain(bomb)).toMatchObject({ bytes: 8 * MiB, error: undefined });
  });

  it("stops a gzip bomb at maxCompressionRatio once past the ratio's minimum", async () => {
    const out = await drain(bomb, { maxObjectBytes: 1024 * MiB, maxCompressionRatio: 1000, ratioCheckFromBytes: MiB });
    expect(out.error).toBeInstanceOf(ObjectTooLargeError);
    const e = out.error as ObjectTooLargeError;
    expect(e).toMatchObject({ name: "ObjectTooLargeError", limit: "maxCompressionRatio", limitValue: 1000 });
    // Stopped soon after the minimum, not at the end; what was yielded is what the error says.
    expect(out.bytes).toBe(e.decompressedBytes);
    expect(out.bytes).toBeGreaterThanOrEqual(MiB - 64 * KiB);
    expect(out.bytes).toBeLessThan(2 * MiB);
    expect(e.decompressedBytes / e.compressedBytes!).toBeGreaterThan(1000);
    expect(e.message).toMatch(/expands more than maxCompressionRatio \(1000\) times .*decompression bombs/);
    expect(out.closed).toBe(true); // the body is released
  });

  it("judges the ratio only past RATIO_CHECK_MIN_BYTES by default", async () => {
    expect(RATIO_CHECK_MIN_BYTES).toBe(64 * MiB);
    expect(await drain(bomb, { maxObjectBytes: 1024 * MiB, maxCompressionRatio: 1000 })).toMatchObject({ bytes: 8 * MiB, error: undefined });
  });

  it("lets ordinary compressible data through", async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}Z GET /items/${i} 200 ${i % 977}ms`).join("\n");
    const gz = gzipSync(lines);
    const out = await drain(gz, { maxObjectBytes: 1024 * MiB, maxCompressionRatio: 10, ratioCheckFromBytes: 0 });
    expect(out).toMatchObject({ bytes: Buffer.byteLength(lines), error: undefined });
  });

  it("stops a gzip object at maxObjectBytes, having yielded exactly that many bytes", async () => {
    const out = await drain(bomb, { maxObjectBytes: 3 * MiB + 5, maxCompressionRatio: 100_000 });
    expect(out.error).toMatchObject({ limit: "maxObjectBytes", limitValue: 3 * MiB + 5, decompressedBytes: 3 * MiB + 5 });
    expect(out.bytes).toBe(3 * MiB + 5);
    expect((out.error as ObjectTooLargeError).compressedBytes).toBeGreaterThan(0);
    expect((out.error as Error).message).toMatch(/more than maxObjectBytes \(3145733\) of decompressed data/);
    expect(out.closed).toBe(true);
  });

  it("stops an object that is not gzip at maxObjectBytes too", async () => {
    const plain = Buffer.alloc(5 * MiB, "x");
    const out = await drain(plain, { maxObjectBytes: 2 * MiB, maxCompressionRatio: 1000 });
    expect(out.bytes).toBe(2 * MiB);
    expect(out.error).toMatchObject({ limit: "maxObjectBytes", decompressedBytes: 2 * MiB, compressedBytes: undefined });
    expect((out.error as Error).message).toMatch(/more than maxObjectBytes \(2MiB\) of data/);
    // Stopped reading: not the whole object was pulled from the source.
    expect(out.compressedRead).toBeLessThan(3 * MiB);
    expect(out.closed).toBe(true);
  });

  it("lets an object of exactly maxObjectBytes through", async () => {
    expect(await drain(Buffer.alloc(MiB), { maxObjectBytes: MiB, maxCompressionRatio: 1000 })).toMatchObject({ bytes: MiB, error: undefined });
    expect(await drain(gzipSync(Buffer.alloc(MiB)), { maxObjectBytes: MiB, maxCompressionRatio: 100_000 })).toMatchObject({ bytes: MiB, error: undefined });
  });
});

describe("processObject: a too-large object is delivered with truncation", () => {
  function harness(data: Buffer, limits: { maxObjectBytes?: number; maxCompressionRatio?: number }) {
    const published: OutputEvent[] = [];
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split("\n")) if (l) logs.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const metrics = new Metrics({ version: "0", defaultMetrics: false });
    const deps = {
      objects: { getObject: async () => source(data).iterable },
      decoderFor: () => linesDecoder({ maxEventBytes: 1024 }),
      output: {
        name: "test",
        publish: async (events: readonly OutputEvent[]) => void published.push(...events),
        close: async () => {},
      },
      metrics: metrics.forQueue("q"),
      log: createLogger({ level: "info", format: "json", destination: sink }),
      version: "1",
      largeRecords: new LargeRecordPermit(),
      ...limits,
    };
    const run = () => processObject({ bucket: "b", key: "big.log", region: "r" }, { queue: "q", messageId: "m1" }, deps, new AbortController().signal);
    return { run, published, logs, stats: metrics.stats };
  }

  it("reads an object under the limits whole", async () => {
    const h = harness(Buffer.from("a\nb\n"), { maxObjectBytes: MiB, maxCompressionRatio: 1000 });
    expect(await h.run()).toBe("delivered");
    expect(documentsOf(h.published)).toHaveLength(2);
    expect(h.stats).toMatchObject({ objectsTooLarge: 0, objectsRead: 1 });
  });

  it("ships the events before the limit, counts too_large, logs it once and resolves delivered", async () => {
    const big = Array.from({ length: 200_000 }, (_, i) => `line ${String(i).padStart(6, "0")}`).join("\n"); // 11 bytes + \n each
    const h2 = harness(gzipSync(big), { maxObjectBytes: MiB, maxCompressionRatio: 1000 });
    expect(await h2.run()).toBe("delivered");
    // 1 MiB holds 87381 whole lines (12 bytes each); the one cut at the limit is not an event.
    const whole = Math.floor(MiB / 12);
    expect(documentsOf(h2.published).length).toBe(whole);
    expect((JSON.parse(documentsOf(h2.published).at(-1)!) as { message: string }).message).toBe(`line ${String(whole - 1).padStart(6, "0")}`);
    expect(h2.stats).toMatchObject({ objectsTooLarge: 1, objectsRead: 0, objectsFailed: 0 });
    const logged = h2.logs.filter((l) => String(l.message).includes("too large"));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ "log.level": "error", bucket: "b", key: "big.log", limit: "maxObjectBytes", limitValue: MiB, events: whole });
    expect(logged[0]?.message).toMatch(/s3:\/\/b\/big\.log is too large: .* the message is deleted .*raise s3beat\.maxObjectBytes \(now 1MiB\)/);
  });
});
