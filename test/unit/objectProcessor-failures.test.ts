/**
 * processObject with a fake getter, output and metrics: how a read that fails ends (poison with its
 * reason and offset, transient, shutdown), what operators read in the logs, the counters, the
 * process-wide byte budget, and large events handed over as objects.
 */
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureLogs } from "../support/logCapture.ts";
import { jsonDecoder } from "../../src/objects/decoders/json.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { documentsOf, EncodedEvents, type OutputEvent } from "../../src/outputs/output.ts";
import { ByteBudget } from "../../src/pipeline/budget.ts";
import { ObjectError } from "../../src/pipeline/errors.ts";
import { keySelected, processObject, type ObjectProcessorDeps } from "../../src/pipeline/objectProcessor.ts";
import { LargeRecordPermit } from "../../src/pipeline/readGate.ts";
import { shippedSizer } from "../../src/events/event.ts";
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
  const { log, lines: logs } = captureLogs({ ecs: true });
  const m = recordingMetrics();
  const deps: ObjectProcessorDeps = {
    objects: { getObject: async () => source() },
    decoderFor: () => linesDecoder({ maxEventBytes: 1 << 20 }),
    output: { name: "fake", publish: async (events) => void batches.push([...events]), close: async () => undefined },
    metrics: m.metrics,
    log,
    version: "1",
    largeRecords: new LargeRecordPermit(),
    ...overrides,
  };
  const ac = new AbortController();
  const run = () => processObject({ bucket: "b", key, region: "r", size: 10 }, { queue: "q", messageId: "m1" }, deps, ac.signal);
  const messages = () => documentsOf(batches.flat()).map((d) => (JSON.parse(d) as { message: string }).message);
  const logged = () => logs.map((l) => ({ level: l["log.level"], message: l.message }));
  return { run, deps, batches, messages, logs, logged, ac, ...m };
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

describe("processObject: an output that fails", () => {
  it("stops the reading: no more batches are published after the failure", async () => {
    let publishes = 0;
    const lines = Array.from({ length: 1024 }, (_, i) => `l${i}\n`).join("");
    const t = setup(chunks(lines, lines, lines, lines, lines), {
      output: {
        name: "fake",
        publish: () => {
          publishes++;
          return Promise.reject(new Error("collector down"));
        },
        close: async () => undefined,
      },
    });
    await expect(t.run()).rejects.toThrow(/^output fake did not acknowledge events .*: collector down$/);
    expect(publishes).toBe(1);
    expect(t.bytes).toMatchObject({ published: 1024, acked: 0 });
  });
});

describe("processObject: @timestamp", () => {
  afterEach(() => vi.useRealTimers());

  it("is when the batch's first event was read", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2024-05-01T10:00:00.000Z"));
    const full = Array.from({ length: 1023 }, (_, i) => `l${i}\n`).join("");
    const source: Source = () =>
      (async function* () {
        yield Buffer.from("first\n");
        vi.setSystemTime(new Date("2024-05-01T10:00:05.000Z"));
        yield Buffer.from(full); // completes the first batch of 1024
        vi.setSystemTime(new Date("2024-05-01T10:00:09.000Z"));
        yield Buffer.from("next\n");
        vi.setSystemTime(new Date("2024-05-01T10:00:12.000Z"));
        yield Buffer.from("last\n");
      })();
    const t = setup(source);
    await t.run();
    const stamps = t.batches.map((b) => [...new Set(documentsOf(b).map((d) => (JSON.parse(d) as { "@timestamp": string })["@timestamp"]))]);
    expect(stamps).toEqual([["2024-05-01T10:00:00.000Z"], ["2024-05-01T10:00:09.000Z"]]);
  });

  it("is the same for an event handed over as an object", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2024-05-01T10:00:00.000Z"));
    const source: Source = () =>
      (async function* () {
        yield Buffer.from("small\n");
        vi.setSystemTime(new Date("2024-05-01T10:00:05.000Z"));
        yield Buffer.from(`${"L".repeat(64 * 1024)}\n`);
      })();
    const t = setup(source);
    await t.run();
    expect(documentsOf(t.batches.flat()).map((d) => (JSON.parse(d) as { "@timestamp": string })["@timestamp"])).toEqual([
      "2024-05-01T10:00:00.000Z",
      "2024-05-01T10:00:00.000Z",
    ]);
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

describe("processObject: batch bounds by bytes as shipped", () => {
  const MiB = 1024 * 1024;
  const sizeOf = shippedSizer({ bucket: "b", key: "app/x.log", region: "r", size: 10 }, "1");
  /** A line whose event ships exactly `bytes`. */
  const lineShipping = (bytes: number) => {
    const text = "x".repeat(bytes - sizeOf({ offset: 0, text: "", truncated: false }));
    expect(sizeOf({ offset: 0, text, truncated: false })).toBe(bytes);
    return `${text}\n`;
  };
  /** An output that holds every acknowledgement until the test gives it; records what the source had given by then. */
  function heldOutput(pulled: () => number) {
    const acks: Array<() => void> = [];
    const pulledAtPublish: number[] = [];
    const sizes: number[] = [];
    const output = {
      name: "held",
      publish: (events: readonly OutputEvent[]) => {
        pulledAtPublish.push(pulled());
        sizes.push(documentsOf(events).length);
        return new Promise<void>((r) => acks.push(r));
      },
      close: async () => undefined,
    };
    return { acks, pulledAtPublish, sizes, output };
  }
  function counting(...parts: string[]) {
    let pulled = 0;
    const source: Source = () =>
      (async function* () {
        for (const p of parts) {
          pulled++;
          yield Buffer.from(p);
        }
      })();
    return { source, pulled: () => pulled };
  }
  const wide = { decoderFor: () => linesDecoder({ maxEventBytes: 4 * MiB }), largeRecords: new LargeRecordPermit() };

  it("an event that would take the batch past 1 MiB starts the next batch", async () => {
    const line = lineShipping(400 * 1024);
    const t = setup(chunks(line.repeat(5)), wide);
    await t.run();
    expect(t.batches.map((b) => documentsOf(b).length)).toEqual([2, 2, 1]);
  });

  it("an event that fills the batch to exactly 1 MiB joins it, and the batch goes out at once", async () => {
    const half = lineShipping(MiB / 2);
    const src = counting(half, half, "z\n");
    const held = heldOutput(src.pulled);
    const t = setup(src.source, { ...wide, output: held.output });
    const done = t.run();
    await new Promise((r) => setImmediate(r));
    expect(held.pulledAtPublish[0]).toBe(2); // published before the next line was read
    for (const ack of held.acks) ack();
    await new Promise((r) => setImmediate(r));
    for (const ack of held.acks) ack();
    await done;
    expect(held.pulledAtPublish).toEqual([2, 3]);
    expect(held.sizes).toEqual([2, 1]); // the 1 MiB batch, then "z"
  });

  it("stops reading once exactly 4 MiB are unacknowledged, in fewer than 4 batches", async () => {
    const two = lineShipping(2 * MiB);
    const src = counting(two, two, "z\n");
    const held = heldOutput(src.pulled);
    const t = setup(src.source, { ...wide, output: held.output });
    const done = t.run();
    await new Promise((r) => setImmediate(r));
    expect(held.pulledAtPublish).toEqual([1, 2]);
    expect(src.pulled()).toBe(2); // the third chunk waits for an acknowledgement
    held.acks[0]?.();
    await new Promise((r) => setImmediate(r));
    expect(src.pulled()).toBe(3);
    for (const ack of held.acks) ack();
    await new Promise((r) => setImmediate(r));
    for (const ack of held.acks) ack();
    expect(await done).toBe("delivered");
  });

  it("acknowledged batches no longer count: 4 small batches in flight long after 4 MiB were shipped", async () => {
    const batchOfLines = Array.from({ length: 1024 }, (_, i) => `line ${String(i).padStart(5, "0")}\n`).join("");
    const perBatch = 1024 * sizeOf({ offset: 0, text: "line 00000", truncated: false });
    const prompt = Math.ceil((5 * MiB) / perBatch); // acknowledged at once: more than 4 MiB in all
    let publishes = 0;
    const acks: Array<() => void> = [];
    const t = setup(chunks(...Array.from({ length: prompt + 6 }, () => batchOfLines)), {
      output: {
        name: "fake",
        publish: () => (++publishes <= prompt ? Promise.resolve() : new Promise<void>((r) => acks.push(r))),
        close: async () => undefined,
      },
    });
    const done = t.run();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(publishes).toBe(prompt + 4);
    expect(acks).toHaveLength(4);
    while (publishes < prompt + 6 || acks.length > 0) {
      for (const ack of acks.splice(0)) ack();
      await new Promise((r) => setImmediate(r));
    }
    expect(await done).toBe("delivered");
    expect(t.bytes).toMatchObject({ published: 1024 * (prompt + 6), acked: 1024 * (prompt + 6) });
  });
});

describe("processObject: settling", () => {
  const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `l${from + i}\n`).join("");
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it("resolves only once every batch is acknowledged", async () => {
    let acked = 0;
    const t = setup(chunks(lines(1500)), {
      output: {
        name: "fake",
        publish: (events) => new Promise<void>((r) => setImmediate(() => r(void (acked += documentsOf(events).length)))),
        close: async () => undefined,
      },
    });
    expect(await t.run()).toBe("delivered");
    expect(acked).toBe(1500);
  });

  it("publishes nothing more once the output failed, not even what was read meanwhile", async () => {
    let publishes = 0;
    const source: Source = () =>
      (async function* () {
        yield Buffer.from(lines(1030)); // a batch of 1024, and 6 more events
        await nextTurn(); // the output's failure arrives meanwhile
        yield Buffer.from(lines(10, 1030));
      })();
    const t = setup(source, {
      output: {
        name: "fake",
        publish: () => {
          publishes++;
          return new Promise<void>((_, reject) => setImmediate(() => reject(new Error("collector down"))));
        },
        close: async () => undefined,
      },
    });
    await expect(t.run()).rejects.toThrow(/did not acknowledge events/);
    expect(publishes).toBe(1);
  });

  it("stops at the next event once aborted, even within a chunk", async () => {
    let publishes = 0;
    let t: ReturnType<typeof setup> | undefined;
    t = setup(chunks(lines(3000)), {
      output: {
        name: "fake",
        publish: async () => {
          publishes++;
          t?.ac.abort(new Error("shutdown"));
        },
        close: async () => undefined,
      },
    });
    await expect(t.run()).rejects.toThrow("shutdown");
    expect(publishes).toBe(1);
  });

  it.each([
    ["in the middle", ["c\n"], ["c"]],
    ["last", [], []],
  ])("gives the large-record permit back once the object is read (the large record %s)", async (_name, after, more) => {
    const permit = new LargeRecordPermit();
    const big = "B".repeat(300 * 1024);
    const t = setup(chunks("a\n", big.slice(0, 150 * 1024), `${big.slice(150 * 1024)}\n`, ...after), { largeRecords: permit });
    expect(await t.run()).toBe("delivered");
    expect(t.messages()).toEqual(["a", big, ...more]);
    expect(permit.held).toBe(0);
  });

  it("gives the large-record permit back when the read fails midway through a large record", async () => {
    const permit = new LargeRecordPermit();
    const t = setup(chunks("a\n", "B".repeat(300 * 1024), "B".repeat(1024), new Error("socket hang up")), { largeRecords: permit });
    await expect(t.run()).rejects.toThrow(/cannot read object after 1 events .*socket hang up/);
    expect(permit.held).toBe(0);
  });

  it("a decoder error after the output failed is transient, reported as the read's failure", async () => {
    const source: Source = () =>
      (async function* () {
        yield Buffer.from(Array.from({ length: 1024 }, (_, i) => `{"n":${i}}\n`).join(""));
        await nextTurn();
        yield Buffer.from('{"c":');
      })();
    const t = setup(source, {
      decoderFor: () => jsonDecoder({ maxEventBytes: 1024 }),
      output: {
        name: "fake",
        publish: () => new Promise<void>((_, reject) => setImmediate(() => reject(new Error("collector down")))),
        close: async () => undefined,
      },
    });
    const err = (await t.run().catch((e: unknown) => e)) as ObjectError;
    expect(err).toBeInstanceOf(ObjectError);
    expect(err.poison).toBeUndefined();
    expect(err.message).toMatch(
      /^cannot read object after 1024 events \(s3:\/\/b\/app\/x\.log, queue q, message m1\): malformed JSON at byte \d+: unexpected end of input$/,
    );
  });
});

describe("processObject: full collections paced by the decompressed bytes", () => {
  const realGc = (globalThis as { gc?: () => void }).gc;
  afterEach(() => {
    if (realGc) (globalThis as { gc?: () => void }).gc = realGc;
    else delete (globalThis as { gc?: () => void }).gc;
  });

  it("an object of 8 MiB decompressed asks for one", async () => {
    const gc = vi.fn();
    (globalThis as { gc?: () => void }).gc = gc;
    vi.resetModules();
    const fresh = await import("../../src/pipeline/objectProcessor.ts");
    const drain = async function* (input: AsyncIterable<Buffer>): AsyncGenerator<never> {
      for await (const _ of input);
      yield* [];
    };
    const t = setup(chunks(...Array.from({ length: 8 }, () => Buffer.alloc(1024 * 1024, 0x20))), { decoderFor: () => drain });
    await fresh.processObject({ bucket: "b", key: "k", region: "r", size: 10 }, { queue: "q" }, t.deps, new AbortController().signal);
    expect(t.bytes.decoded).toBe(8 * 1024 * 1024);
    await new Promise((r) => setImmediate(r));
    expect(gc).toHaveBeenCalledTimes(1);
  });
});
