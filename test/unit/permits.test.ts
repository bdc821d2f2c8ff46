import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logging/logger.ts";
import type { OutputEvent } from "../../src/outputs/output.ts";
import { processObject } from "../../src/pipeline/objectProcessor.ts";
import { isLargeObject, LARGE_OBJECT_BYTES, Permits } from "../../src/pipeline/permits.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

describe("Permits", () => {
  it("grants up to its capacity, then first come first served", async () => {
    const p = new Permits(2);
    const signal = new AbortController().signal;
    const order: string[] = [];
    await p.acquire(signal);
    await p.acquire(signal);
    const c = p.acquire(signal).then(() => order.push("c"));
    const d = p.acquire(signal).then(() => order.push("d"));
    await Promise.resolve();
    expect(order).toEqual([]);
    p.release();
    await c;
    expect(order).toEqual(["c"]);
    p.release();
    await d;
    expect(order).toEqual(["c", "d"]);
    expect(p.held).toBe(2);
    p.release();
    p.release();
    expect(p.held).toBe(0);
  });

  it("a waiter that aborts leaves the queue and rejects with the reason", async () => {
    const p = new Permits(1);
    await p.acquire(new AbortController().signal);
    const stop = new AbortController();
    const waiting = p.acquire(stop.signal);
    stop.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    p.release();
    expect(p.held).toBe(0); // not handed to the aborted waiter
  });

  it.each([0, 1.5, -1])("rejects a capacity of %s", (n) => {
    expect(() => new Permits(n)).toThrow(/capacity/);
  });
});

describe("isLargeObject", () => {
  it.each([
    [undefined, true],
    [0, false],
    [LARGE_OBJECT_BYTES - 1, false],
    [LARGE_OBJECT_BYTES, true],
    [1 << 30, true],
  ])("stored size %s → %s", (size, want) => {
    expect(isLargeObject(size)).toBe(want);
  });
});

describe("processObject: large objects take a permit before they are fetched", () => {
  function setup(permits: Permits) {
    const gets: string[] = [];
    const release = new Map<string, () => void>();
    const deps = {
      objects: {
        getObject: async (ref: { key: string }) => {
          gets.push(ref.key);
          if (ref.key.startsWith("bad")) throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
          // Each body ends only when the test says so.
          const ended = new Promise<void>((r) => release.set(ref.key, r));
          return (async function* () {
            yield Buffer.from(`line of ${ref.key}\n`);
            await ended;
          })();
        },
      },
      decoderFor: () => linesDecoder({ maxEventBytes: 1024 }),
      output: { name: "test", publish: async (_: readonly OutputEvent[]) => undefined, close: async () => {} },
      metrics: new Metrics({ version: "0", defaultMetrics: false }).forQueue("q"),
      log: createLogger({ level: "fatal", format: "json" }),
      version: "1",
      largeObjects: permits,
    };
    const signal = new AbortController().signal;
    const run = (key: string, size: number | undefined) =>
      processObject({ bucket: "b", key, region: "r", ...(size === undefined ? {} : { size }) }, { queue: "q", messageId: key }, deps, signal);
    return { gets, release, run };
  }
  const settle = () => new Promise((r) => setTimeout(r, 10));

  it("with one permit, a second large object waits for the first; small objects do not wait", async () => {
    const permits = new Permits(1);
    const h = setup(permits);
    const first = h.run("big-1", 1 << 20);
    const second = h.run("big-2", undefined); // unknown size counts as large
    const small = h.run("small", 2048);
    await settle();
    expect(h.gets.toSorted()).toEqual(["big-1", "small"]);
    h.release.get("small")!();
    expect(await small).toBe("delivered");
    h.release.get("big-1")!();
    expect(await first).toBe("delivered");
    await settle();
    expect(h.gets.slice(2)).toEqual(["big-2"]);
    h.release.get("big-2")!();
    expect(await second).toBe("delivered");
    expect(permits.held).toBe(0);
  });

  it("gives the permit back when the object fails, so the next large object goes ahead", async () => {
    const permits = new Permits(1);
    const h = setup(permits);
    const failing = h.run("bad-1", 1 << 20);
    const next = h.run("big-2", 1 << 20);
    await expect(failing).rejects.toThrow(/cannot get object/);
    await settle();
    expect(h.gets).toEqual(["bad-1", "big-2"]);
    h.release.get("big-2")!();
    expect(await next).toBe("delivered");
    expect(permits.held).toBe(0);
  });
});

describe("Permits: aborts and the queue", () => {
  const pending = async (p: Promise<unknown>) => Promise.race([p.then(() => false), new Promise((r) => setImmediate(() => r(true)))]);

  it("an already aborted signal rejects at once and takes nothing", async () => {
    const p = new Permits(1);
    const stop = new AbortController();
    stop.abort(new Error("stopped before"));
    await expect(p.acquire(stop.signal)).rejects.toThrow("stopped before");
    expect(p.held).toBe(0);
    await p.acquire(new AbortController().signal);
    expect(p.held).toBe(1);
  });

  it("a waiter in the middle that aborts leaves the others in order", async () => {
    const p = new Permits(1);
    const live = new AbortController().signal;
    await p.acquire(live);
    const order: string[] = [];
    const a = p.acquire(live).then(() => order.push("a"));
    const stop = new AbortController();
    const b = p.acquire(stop.signal).then(
      () => order.push("b"),
      () => order.push("b aborted"),
    );
    const c = p.acquire(live).then(() => order.push("c"));
    stop.abort(new Error("shutdown"));
    await b;
    p.release();
    await a;
    p.release();
    await c;
    expect(order).toEqual(["b aborted", "a", "c"]);
    expect(p.held).toBe(1);
  });

  it("a granted waiter whose signal aborts later keeps its permit and the queue", async () => {
    const p = new Permits(1);
    const live = new AbortController().signal;
    await p.acquire(live);
    const stop = new AbortController();
    const granted = p.acquire(stop.signal);
    const next = p.acquire(live);
    p.release();
    await granted;
    stop.abort(new Error("too late"));
    expect(await pending(next)).toBe(true); // still waiting for the granted one
    p.release();
    expect(await pending(next)).toBe(false);
    expect(p.held).toBe(1);
  });
});
