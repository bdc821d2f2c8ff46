/**
 * processObject with a fake getter, output and metrics: how a read that fails ends (poison with its
 * reason and offset, transient, shutdown), what operators read in the logs, the counters, the
 * process-wide byte budget, and large events handed over as objects.
 */
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logging/logger.ts";
import { jsonDecoder } from "../../src/objects/decoders/json.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { documentsOf, EncodedEvents, type OutputEvent } from "../../src/outputs/output.ts";
import { ByteBudget } from "../../src/pipeline/budget.ts";
import { ObjectError } from "../../src/pipeline/errors.ts";
import { keySelected, processObject, type ObjectProcessorDeps } from "../../src/pipeline/objectProcessor.ts";
import { LargeRecordPermit } from "../../src/pipeline/readGate.ts";
import type { QueueMetrics } from "../../src/telemetry/metrics.ts";

type Source = () => AsyncIterable<Uint8Array>;
const chunks =
  (...parts: Array<string | Buffer | Error>): Source =>
  () =>
    (async function* () {
      for (const p of parts) {
        if (p instanceof Error) throw p;
        yield typeof p === "string" ? Buffer.from(p) : p;
      }
    })();

/** A QueueMetrics that records the calls pipeline code makes. */
function recordingMetrics() {
  const calls: string[] = [];
  const bytes = { read: 0, decoded: 0, published: 0, acked: 0 };
  const metrics = {
    object: (o: string) => void calls.push(`object ${o}`),
    bytesRead: (n: number) => void (bytes.read += n),
    bytesDecoded: (n: number) => void (bytes.decoded += n),
    eventsPublished: (n: number) => void (bytes.published += n),
    eventsAcked: (n: number) => void (bytes.acked += n),
    eventTruncated: () => void calls.push("truncated"),
    eventInvalidUtf8: () => void calls.push("invalid utf8"),
  } as unknown as QueueMetrics;
  return { calls, bytes, metrics };
}

function setup(source: Source, overrides: Partial<ObjectProcessorDeps> = {}, key = "app/x.log") {
  const batches: OutputEvent[][] = [];
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) logs.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const m = recordingMetrics();
  const deps: ObjectProcessorDeps = {
    objects: { getObject: async () => source() },
    decoderFor: () => linesDecoder({ maxEventBytes: 1 << 20 }),
    output: { name: "fake", publish: async (events) => void batches.push([...events]), close: async () => undefined },
    metrics: m.metrics,
    log: createLogger({ level: "debug", format: "json", destination: sink }),
    version: "1",
    largeRecords: new LargeRecordPermit(),
    ...overrides,
  };
  const ac = new AbortController();
  const run = () => processObject({ bucket: "b", key, region: "r", size: 10 }, { queue: "q", messageId: "m1" }, deps, ac.signal);
  const messages = () => documentsOf(batches.flat()).map((d) => (JSON.parse(d) as { message: string }).message);
  const logged = () => logs.map((l) => ({ level: l["log.level"], message: l.message }));
  return { run, batches, messages, logs, logged, ac, ...m };
}

const where = { queue: "q", messageId: "m1", bucket: "b", key: "app/x.log" };

describe("processObject: poison, shipped up to the bad bytes", () => {
  it("data the decoder rejects: the events before are shipped, the error says where", async () => {
    const t = setup(chunks('{"a":1}\n{"b":2}\n{"c":'), { decoderFor: () => jsonDecoder({ maxEventBytes: 1024 }) });
    const err = (await t.run().catch((e: unknown) => e)) as ObjectError;
    expect(err).toBeInstanceOf(ObjectError);
    expect(err.message).toBe("cannot read object after 2 events (s3://b/app/x.log, queue q, message m1): malformed JSON at byte 21: unexpected end of input");
    expect(err.context).toEqual(where);
    expect(err.poison).toEqual({ reason: "the decoder rejected the data: malformed JSON at byte 21: unexpected end of input", offset: 21, events: 2 });
    expect(t.messages()).toEqual(['{"a":1}', '{"b":2}']);
    expect(t.bytes).toMatchObject({ published: 2, acked: 2 });
  });

  it("a truncated gzip object: its reason, at the decompressed bytes read", async () => {
    const whole = gzipSync("one\ntwo\nthree\n");
    const t = setup(chunks(whole.subarray(0, whole.length - 6)));
    const err = (await t.run().catch((e: unknown) => e)) as ObjectError;
    expect(err.poison).toEqual({ reason: expect.stringMatching(/^corrupt gzip data after \d+ compressed bytes: /), offset: 14, events: 3 });
    expect(t.messages()).toEqual(["one", "two", "three"]);
  });

  it("the output failing while the events before the poison are shipped: transient", async () => {
    const t = setup(chunks('{"a":1}\n{"c":'), {
      decoderFor: () => jsonDecoder({ maxEventBytes: 1024 }),
      output: { name: "fake", publish: () => Promise.reject(new Error("collector down")), close: async () => undefined },
    });
    const err = (await t.run().catch((e: unknown) => e)) as ObjectError;
    expect(err.message).toBe("output fake did not acknowledge events (s3://b/app/x.log, queue q, message m1): collector down");
    expect(err.poison).toBeUndefined();
  });
});

describe("processObject: transient read failures", () => {
  it("the stream breaking midway: the events before are awaited, the error names the object", async () => {
    let acked = 0;
    const t = setup(chunks("one\ntwo\n", "x".repeat(10), new Error("socket hang up")), {
      output: {
        name: "fake",
        publish: async () => {
          await Promise.resolve();
          acked++;
        },
        close: async () => undefined,
      },
    });
    const err = (await t.run().catch((e: unknown) => e)) as ObjectError;
    expect(err).toBeInstanceOf(ObjectError);
    expect(err.message).toBe("cannot read object after 2 events (s3://b/app/x.log, queue q, message m1): socket hang up");
    expect(err.poison).toBeUndefined();
    expect(err.context).toEqual(where);
    expect(acked).toBe(0); // nothing was published: the batch was not full
  });

  it("the stream breaking after a batch was published: its acknowledgement is awaited before failing", async () => {
    const lines = Array.from({ length: 1024 }, (_, i) => `l${i}\n`).join("");
    let acked = false;
    const t = setup(chunks(lines, new Error("socket hang up")), {
      output: {
        name: "fake",
        publish: () => new Promise<void>((r) => setImmediate(() => r(void (acked = true)))),
        close: async () => undefined,
      },
    });
    await expect(t.run()).rejects.toThrow(/cannot read object after 1024 events/);
    expect(acked).toBe(true);
  });
});

describe("processObject: shutdown", () => {
  it("aborting mid-read rejects with the signal's reason, not an ObjectError", async () => {
    let t: ReturnType<typeof setup> | undefined;
    const source: Source = () =>
      (async function* () {
        yield Buffer.from("one\n");
        t?.ac.abort(new Error("shutting down"));
        yield Buffer.from("two\n");
        yield Buffer.from("three\n");
      })();
    t = setup(source);
    const err = await t.run().catch((e: unknown) => e);
    expect(err).toEqual(new Error("shutting down"));
    expect(t.calls).toEqual([]);
  });
});

describe("processObject: what operators read", () => {
  it("an object gone logs a warning naming it, counts not_found", async () => {
    const t = setup(() => {
      throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    });
    expect(await t.run()).toBe("not-found");
    expect(t.calls).toEqual(["object not_found"]);
    expect(t.logs).toHaveLength(1);
    expect(t.logs[0]).toMatchObject({
      "log.level": "warn",
      ...where,
      message: "object s3://b/app/x.log no longer exists (NoSuchKey); its notification is dropped",
    });
  });

  it("a GetObject failure says so", async () => {
    const t = setup(() => {
      throw new Error("connect ETIMEDOUT");
    });
    const err = (await t.run().catch((e: unknown) => e)) as ObjectError;
    expect(err).toBeInstanceOf(ObjectError);
    expect(err.message).toBe("cannot get object (s3://b/app/x.log, queue q, message m1): connect ETIMEDOUT");
    expect(err.poison).toBeUndefined();
    expect(t.calls).toEqual([]);
  });

  it("an object filtered out is logged at debug and counted, never read", async () => {
    let got = false;
    const t = setup(
      () => {
        got = true;
        return chunks("x\n")();
      },
      { keyExclude: /\.log$/ },
    );
    expect(await t.run()).toBe("filtered");
    expect(got).toBe(false);
    expect(t.calls).toEqual(["object filtered"]);
    expect(t.logs[0]).toMatchObject({ "log.level": "debug", ...where, message: "object skipped by keyInclude/keyExclude" });
  });

  it("an object read whole is counted delivered and logged at debug with its events", async () => {
    const t = setup(chunks("a\nb\n", "c\n"));
    expect(await t.run()).toBe("delivered");
    expect(t.calls).toEqual(["object delivered"]);
    expect(t.logs).toHaveLength(1);
    expect(t.logs[0]).toMatchObject({ "log.level": "debug", ...where, events: 3, message: "object ingested" });
    expect(t.bytes).toEqual({ read: 6, decoded: 6, published: 3, acked: 3 });
  });

  it("counts stored and decompressed bytes apart", async () => {
    const data = "hello\n".repeat(1000);
    const t = setup(chunks(gzipSync(data)));
    await t.run();
    expect(t.bytes.read).toBe(gzipSync(data).length);
    expect(t.bytes.decoded).toBe(data.length);
  });

  it("counts truncated and invalid UTF-8 events", async () => {
    const t = setup(chunks(Buffer.from([0x61, 0xff, 0x0a]), `${"z".repeat(50)}\nok\n`), { decoderFor: () => linesDecoder({ maxEventBytes: 20 }) });
    await t.run();
    expect(t.calls).toEqual(["invalid utf8", "truncated", "object delivered"]);
    expect(t.messages()).toHaveLength(3);
  });

  it("an object past maxObjectBytes names the size limit in its unit", async () => {
    const t = setup(chunks("a\n".repeat(3000)), { maxObjectBytes: 4096 });
    expect(await t.run()).toBe("delivered");
    const log = t.logs.find((l) => l["log.level"] === "error");
    expect(log).toMatchObject({ ...where, limit: "maxObjectBytes", limitValue: 4096, events: 2048, decompressedBytes: 4096 });
    expect(log?.message).toContain("The 2048 events before were shipped and the message is deleted");
    expect(log?.message).toMatch(/raise s3beat\.maxObjectBytes \(now 4KiB\)/);
  });
});

describe("processObject: the process-wide byte budget", () => {
  it("takes each batch's bytes while it is in flight and gives them back on its acknowledgement", async () => {
    const budget = new ByteBudget(1 << 20);
    const seen: number[] = [];
    const t = setup(chunks("one\ntwo\n"), {
      budget,
      output: {
        name: "fake",
        publish: async () => void seen.push(budget.used),
        close: async () => undefined,
      },
    });
    await t.run();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThan(100); // two events' documents, as shipped
    expect(budget.used).toBe(0);
  });

  it("gives the bytes back when the output fails", async () => {
    const budget = new ByteBudget(1 << 20);
    const t = setup(chunks("one\n"), { budget, output: { name: "fake", publish: () => Promise.reject(new Error("down")), close: async () => undefined } });
    await expect(t.run()).rejects.toThrow(/did not acknowledge/);
    expect(budget.used).toBe(0);
  });
});

describe("processObject: batches", () => {
  it("an event of LARGE_MESSAGE_CHARS or more goes as an object, the others as NDJSON, in order", async () => {
    const large = "L".repeat(64 * 1024);
    const t = setup(chunks(`a\n${large}\nb\n${"M".repeat(64 * 1024 - 1)}\n`));
    await t.run();
    expect(t.batches).toHaveLength(1);
    expect(t.batches[0]?.map((e) => (e instanceof EncodedEvents ? `encoded ${e.count}` : "event"))).toEqual(["encoded 1", "event", "encoded 2"]);
    expect(t.messages()).toEqual(["a", large, "b", "M".repeat(64 * 1024 - 1)]);
  });

  it("every event of a batch carries the same @timestamp, that of its first event's reading", async () => {
    const t = setup(chunks("a\nb\nc\n"));
    await t.run();
    const stamps = documentsOf(t.batches.flat()).map((d) => (JSON.parse(d) as { "@timestamp": string })["@timestamp"]);
    expect(new Set(stamps).size).toBe(1);
    expect(Date.parse(stamps[0]!)).not.toBeNaN();
  });
});

describe("keySelected", () => {
  it.each<[string, RegExp | undefined, RegExp | undefined, boolean]>([
    ["x.log", undefined, undefined, true],
    ["x.log", /\.log$/, undefined, true],
    ["x.json", /\.log$/, undefined, false],
    ["x.log", undefined, /\.log$/, false],
    ["x.json", undefined, /\.log$/, true],
    ["tmp/x.log", /\.log$/, /^tmp\//, false],
  ])("%s include %s exclude %s → %s", (key, include, exclude, want) => {
    expect(keySelected(key, include, exclude)).toBe(want);
  });
});
