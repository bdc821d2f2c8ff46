import { describe, expect, it } from "vitest";
import { buildEvent, eventEncoder, eventId, shippedSizer } from "../../src/events/event.ts";
import type { DecodedRecord } from "../../src/events/record.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { documentsOf, type OutputEvent } from "../../src/outputs/output.ts";
import { processObject } from "../../src/pipeline/objectProcessor.ts";
import { LargeRecordPermit } from "../../src/pipeline/readGate.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

describe("events", () => {
  it("ids are deterministic per bucket, key and offset", () => {
    expect(eventId("b", "k", 10)).toBe(eventId("b", "k", 10));
    expect(new Set([eventId("b", "k", 10), eventId("b", "k", 11), eventId("b", "k2", 10), eventId("b2", "k", 10)]).size).toBe(4);
    // The separator keeps ("ab","c") and ("a","bc") apart.
    expect(eventId("ab", "c", 0)).not.toBe(eventId("a", "bc", 0));
  });

  it("carry the DESIGN §7 fields and flags", () => {
    const e = buildEvent(
      { bucket: "logs", key: "a b/é.log", region: "eu-west-1" },
      { offset: 42, text: "hello", truncated: true, multiline: true },
      "9.9.9",
      new Date(0),
    );
    expect(e).toMatchObject({
      "@timestamp": "1970-01-01T00:00:00.000Z",
      message: "hello",
      log: { file: { path: "s3://logs/a b/é.log" }, offset: 42, flags: ["truncated", "multiline"] },
      aws: { s3: { bucket: { name: "logs", arn: "arn:aws:s3:::logs" }, object: { key: "a b/é.log" } } },
      cloud: { provider: "aws", region: "eu-west-1" },
    });
    expect(e.event.id).toBe(eventId("logs", "a b/é.log", 42));
    expect(e["@metadata"]._id).toBe(e.event.id);
  });

  it("has no flags or error when there is nothing to flag", () => {
    const e = buildEvent({ bucket: "b", key: "k", region: "r" }, { offset: 0, text: "x", truncated: false }, "1");
    expect(e.log.flags).toBeUndefined();
    expect(e.error).toBeUndefined();
  });
});

describe("invalid UTF-8", () => {
  it("is flagged invalid_utf8, after the other flags", () => {
    const ref = { bucket: "b", key: "k", region: "r" };
    expect(buildEvent(ref, { offset: 0, text: "\uFFFD", truncated: false, invalidUtf8: true }, "1").log.flags).toEqual(["invalid_utf8"]);
    expect(buildEvent(ref, { offset: 0, text: "\uFFFD", truncated: true, multiline: true, invalidUtf8: true }, "1").log.flags).toEqual([
      "truncated",
      "multiline",
      "invalid_utf8",
    ]);
    expect(buildEvent(ref, { offset: 0, text: "ok", truncated: false, invalidUtf8: false }, "1").log.flags).toBeUndefined();
  });
});

describe("shippedSizer: an event's bytes as shipped", () => {
  const ref = { bucket: "my-bucket", key: 'logs/"quoted" é\u0001.log', region: "eu-west-1" };
  const records: DecodedRecord[] = [
    { offset: 0, text: "", truncated: false },
    { offset: 123_456_789, text: "plain line", truncated: false },
    { offset: 5, text: "\u0000".repeat(1000), truncated: true },
    { offset: 7, text: 'say "hi"\\ 日本 😀', truncated: false, multiline: true, invalidUtf8: true },
    { offset: 9, text: "{", truncated: false, error: 'line is not valid JSON: Unexpected end of JSON input "\u0000"' },
  ];
  for (const r of records) {
    it(`covers ${JSON.stringify(r.text.slice(0, 20))}${r.error ? " with an error" : ""}, within a few bytes`, () => {
      const size = shippedSizer(ref, "1.2.3", "s3beat_x")(r);
      const actual = Buffer.byteLength(JSON.stringify(buildEvent(ref, r, "1.2.3", new Date(), "s3beat_x")), "utf8");
      expect(size).toBeGreaterThanOrEqual(actual);
      // Counted in advance: framing (10), every flag (50) and the widest offset (16 digits, in
      // log.offset and in both copies of the event id).
      expect(size - actual).toBeLessThanOrEqual(10 + 50 + 3 * 16);
    });
  }
});

describe("processObject: memory bounded by bytes as shipped", () => {
  type Pending = { events: readonly OutputEvent[]; resolve: () => void };

  function run(data: Buffer, opts: { maxEventBytes?: number; permit?: LargeRecordPermit; hold?: boolean } = {}) {
    const batches: OutputEvent[][] = [];
    const pending: Pending[] = [];
    let read = 0;
    const output = {
      name: "test",
      publish: (events: readonly OutputEvent[]) => {
        batches.push([...events]);
        if (!opts.hold) return Promise.resolve();
        return new Promise<void>((resolve) => pending.push({ events, resolve }));
      },
      close: async () => {},
    };
    const objects = {
      getObject: async () =>
        (async function* () {
          for (let i = 0; i < data.length; i += 16 * 1024) {
            read = Math.min(data.length, i + 16 * 1024);
            yield data.subarray(i, read);
          }
        })(),
    };
    const metrics = new Metrics({ version: "0", defaultMetrics: false });
    const done = processObject(
      { bucket: "b", key: "k", region: "r" },
      { queue: "q", messageId: "m" },
      {
        objects,
        decoderFor: () => linesDecoder({ maxEventBytes: opts.maxEventBytes ?? 1 << 20 }),
        output,
        metrics: metrics.forQueue("q"),
        log: createLogger({ level: "fatal", format: "json" }),
        version: "1",
        largeRecords: opts.permit ?? new LargeRecordPermit(),
      },
      new AbortController().signal,
    );
    return { done, batches, pending, read: () => read, stats: metrics.stats };
  }
  const shippedBytes = (events: readonly OutputEvent[]) => documentsOf(events).reduce((n, d) => n + Buffer.byteLength(d), 0);
  const messagesOf = (events: readonly OutputEvent[]) => documentsOf(events).map((d) => (JSON.parse(d) as { message?: string }).message);
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it("cuts batches at 1 MiB as shipped: lines of NUL bytes ship six times their size", async () => {
    const line = "\u0000".repeat(200);
    const data = Buffer.from(Array.from({ length: 3000 }, () => line).join("\n"));
    const r = run(data);
    expect(await r.done).toBe("delivered");
    expect(documentsOf(r.batches.flat())).toHaveLength(3000);
    for (const b of r.batches) expect(shippedBytes(b)).toBeLessThanOrEqual(1 << 20);
    // ~1.6 KB each as shipped: about 650 per batch, where counting characters allowed 1024.
    expect(r.batches.length).toBeGreaterThanOrEqual(Math.ceil(shippedBytes(r.batches.flat()) / (1 << 20)));
    expect(Math.max(...r.batches.map((b) => b.length))).toBeLessThan(700);
  });

  it("stops reading while 4 MiB as shipped are unacknowledged, not only 4 batches", async () => {
    const MiB = 1 << 20;
    const data = Buffer.from(Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(1.5 * MiB, "x")).join("\n"));
    const r = run(data, { hold: true, maxEventBytes: 2 * MiB });
    let acked = 0;
    let mostPending = 0;
    while (acked < 12) {
      await settle();
      mostPending = Math.max(mostPending, r.pending.length);
      const unacked = r.pending.reduce((n, p) => n + shippedBytes(p.events), 0);
      expect(unacked).toBeLessThan(4 * MiB + 1.6 * MiB);
      const next = r.pending.shift();
      if (next === undefined) throw new Error(`stuck after ${acked} events`);
      acked += next.events.length;
      next.resolve();
    }
    expect(await r.done).toBe("delivered");
    // Each 1.5 MiB event goes alone; three of them reach 4 MiB, so a fourth never waits with them.
    expect(r.batches.map((b) => b.length)).toEqual(Array(12).fill(1));
    expect(mostPending).toBe(3);
  });

  it("assembles a record past 256 KiB only with the process's large-record permit", async () => {
    const permit = new LargeRecordPermit();
    const signal = new AbortController().signal;
    await permit.acquire(signal); // held by someone else
    const small = run(Buffer.from(Array.from({ length: 1000 }, (_, i) => `line ${i}`).join("\n")), { permit });
    expect(await small.done).toBe("delivered"); // small records never need it

    const data = Buffer.from(`before\n${"y".repeat(2 << 20)}\nafter\n`);
    const large = run(data, { permit, maxEventBytes: 4 << 20 });
    await settle();
    // Waiting for the permit with at most 256 KiB (and a chunk) of the large line read.
    expect(large.read()).toBeLessThan(256 * 1024 + 7 + 2 * 16 * 1024);
    expect(messagesOf(large.batches.flat())).toEqual([]);
    permit.release();
    expect(await large.done).toBe("delivered");
    expect(messagesOf(large.batches.flat()).map((m) => m?.length)).toEqual([6, 2 << 20, 5]);
    // Given back: the next taker gets it at once.
    await permit.acquire(signal);
  });

  it("LargeRecordPermit: first come, first served; a waiter that gives up leaves the queue", async () => {
    const permit = new LargeRecordPermit();
    const order: string[] = [];
    await permit.acquire(new AbortController().signal);
    const quitter = new AbortController();
    const a = permit.acquire(quitter.signal).then(
      () => order.push("quitter"),
      () => order.push("quitter gave up"),
    );
    const b = permit.acquire(new AbortController().signal).then(() => order.push("b"));
    quitter.abort(new Error("shutdown"));
    await a;
    permit.release();
    await b;
    expect(order).toEqual(["quitter gave up", "b"]);
  });
});

describe("eventEncoder: an event's JSON document without building the event", () => {
  const refs = [
    { bucket: "my-bucket", key: "AWSLogs/1/a.log.gz", region: "eu-west-1" },
    { bucket: "b", key: 'logs/"quoted" é\u0001\n\u2028.log', region: "" },
  ];
  const records: DecodedRecord[] = [
    { offset: 0, text: "", truncated: false },
    { offset: 123_456_789_012_345, text: "plain line", truncated: false },
    { offset: 5, text: '\u0000\t"\\'.repeat(10), truncated: true },
    { offset: 7, text: 'say "hi" 日本 😀 \ud800 lone', truncated: false, multiline: true, invalidUtf8: true },
    { offset: 8, text: "x", truncated: false, multiline: true },
    { offset: 9, text: "{", truncated: false, invalidUtf8: false, error: 'line is not valid JSON: Unexpected end "\u0000"' },
  ];
  for (const [n, ref] of refs.entries()) {
    for (const r of records) {
      it(`writes exactly JSON.stringify(buildEvent(…)) for ref ${n} and ${JSON.stringify(r).slice(0, 60)}`, () => {
        const date = new Date(1_700_000_000_123);
        const encoded = eventEncoder(ref, "1.2.3-rc.1", 's3beat_"x"')(r, date.toISOString());
        expect(encoded).toBe(JSON.stringify(buildEvent(ref, r, "1.2.3-rc.1", date, 's3beat_"x"')));
      });
    }
  }

  it("pins the id of an event to its value: the first 16 hex digits of sha256(bucket NUL key), as sha256sum computes it (a changed hash would re-deliver every event under new ids)", () => {
    expect(eventId("logs", "a.log", 42)).toBe("26b5ea5462a6d819-000000000042");
    const doc = JSON.parse(eventEncoder({ bucket: "logs", key: "a.log", region: "r" }, "1")({ offset: 42, text: "m", truncated: false }, "t"));
    expect(doc.event.id).toBe("26b5ea5462a6d819-000000000042");
  });
});
