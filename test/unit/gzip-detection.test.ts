/** gzip is told by its magic bytes, never by the key: a `.gz` key may hold plain text, a `.log` key gzip data. */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logging/logger.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { decompressIfGzip, isGzip } from "../../src/objects/gzip.ts";
import { documentsOf, type OutputEvent } from "../../src/outputs/output.ts";
import { processObject } from "../../src/pipeline/objectProcessor.ts";
import { LargeRecordPermit } from "../../src/pipeline/readGate.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

const TEXT = "first line\nsecond line\n";

describe("isGzip", () => {
  it.each([
    ["the gzip magic 1f 8b", [0x1f, 0x8b, 0x08], true],
    ["gzip's magic alone", [0x1f, 0x8b], true],
    ["text", [...Buffer.from("1f8b")], false],
    ["one byte of the magic", [0x1f], false],
    ["the magic reversed", [0x8b, 0x1f], false],
    ["nothing", [], false],
  ])("%s → %s", (_name, bytes, want) => {
    expect(isGzip(Uint8Array.from(bytes))).toBe(want);
  });
});

describe("decompressIfGzip", () => {
  /** The magic split across the first two chunks must still be seen. */
  it.each([
    ["plain text", Buffer.from(TEXT)],
    ["gzip", gzipSync(TEXT)],
  ])("%s in one-byte chunks reads back as the text", async (_name, data) => {
    const chunks = (async function* () {
      for (const b of data) yield Uint8Array.of(b);
    })();
    let out = "";
    for await (const c of decompressIfGzip(chunks)) out += c.toString();
    expect(out).toBe(TEXT);
  });
});

describe("processObject: the key's suffix does not decide", () => {
  async function read(key: string, data: Buffer) {
    const published: OutputEvent[] = [];
    const outcome = await processObject(
      { bucket: "b", key, region: "us-east-1", size: data.length },
      { queue: "q", messageId: "m1" },
      {
        objects: {
          getObject: async () =>
            (async function* () {
              yield data;
            })(),
        },
        decoderFor: () => linesDecoder({ maxEventBytes: 1024 }),
        output: { name: "fake", publish: async (events) => void published.push(...events), close: async () => undefined },
        metrics: new Metrics({ version: "test", defaultMetrics: false }).forQueue("q"),
        log: silentLogger(),
        version: "test",
        largeRecords: new LargeRecordPermit(),
      },
      new AbortController().signal,
    );
    return { outcome, messages: documentsOf(published).map((d) => (JSON.parse(d) as { message: string }).message) };
  }

  it.each([
    ["a .gz key holding plain text is read as plain text", "logs/a.log.gz", Buffer.from(TEXT)],
    ["gzip data under a .log key is decompressed", "logs/a.log", gzipSync(TEXT)],
    ["gzip data under a .gz key is decompressed", "logs/a.log.gz", gzipSync(TEXT)],
    ["plain text under a .log key is read as is", "logs/a.log", Buffer.from(TEXT)],
  ])("%s", async (_name, key, data) => {
    expect(await read(key, data)).toEqual({ outcome: "delivered", messages: ["first line", "second line"] });
  });
});
