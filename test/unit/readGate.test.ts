/**
 * readGate: the process-wide large-record permit (taken while a record past LARGE_RECORD_BYTES is
 * assembled, given back after), the gated stream, and the full collections paced by bytes read.
 */
import vm from "node:vm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { gated, LARGE_RECORD_BYTES, LARGE_RECORDS, LargeRecordPermit, ReadGate } from "../../src/pipeline/readGate.ts";

const MiB = 1024 * 1024;
const live = () => new AbortController().signal;
/** Lets pending promise callbacks run (not a sleep: no timer). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `p` has settled once pending callbacks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

describe("LARGE_RECORDS", () => {
  it("is one permit for the whole process", async () => {
    expect(LARGE_RECORDS).toBeInstanceOf(LargeRecordPermit);
    expect(LARGE_RECORDS.capacity).toBe(1);
    expect(new LargeRecordPermit().capacity).toBe(1);
  });
});

describe("ReadGate.admit", () => {
  it.each([
    ["nothing read", 0, 0, false],
    ["a record of exactly LARGE_RECORD_BYTES", LARGE_RECORD_BYTES, 0, false],
    ["a record one byte past LARGE_RECORD_BYTES", LARGE_RECORD_BYTES + 1, 0, true],
    ["much read, but the latest record ended recently", 10 * LARGE_RECORD_BYTES, 9 * LARGE_RECORD_BYTES, false],
    ["a large record in the making after many small ones", 10 * LARGE_RECORD_BYTES, 9 * LARGE_RECORD_BYTES - 1, true],
  ])("%s: takes the permit %s", async (_name, read, lastOffset, takes) => {
    const permit = new LargeRecordPermit();
    const gate = new ReadGate(permit);
    gate.read = read;
    gate.lastOffset = lastOffset;
    await gate.admit(live());
    expect(permit.held).toBe(takes ? 1 : 0);
  });

  it("takes the permit once while the large record grows", async () => {
    const permit = new LargeRecordPermit();
    const gate = new ReadGate(permit);
    gate.read = LARGE_RECORD_BYTES + 1;
    await gate.admit(live());
    gate.read += 1000;
    // Asking again would wait for itself forever.
    expect(await settled(gate.admit(live()))).toBe(true);
    expect(permit.held).toBe(1);
  });

  it("gives the permit back once the record ended, to the object waiting for it", async () => {
    const permit = new LargeRecordPermit();
    const a = new ReadGate(permit);
    const b = new ReadGate(permit);
    a.read = LARGE_RECORD_BYTES + 1;
    b.read = LARGE_RECORD_BYTES + 1;
    await a.admit(live());
    const bWaits = b.admit(live());
    expect(await settled(bWaits)).toBe(false);

    a.lastOffset = a.read; // the large record was produced
    a.read += 10;
    await a.admit(live());
    expect(await settled(bWaits)).toBe(true);
    expect(permit.held).toBe(1); // now b's

    // a's next large record waits for b
    a.read += LARGE_RECORD_BYTES + 1;
    const aWaits = a.admit(live());
    expect(await settled(aWaits)).toBe(false);
    b.release();
    expect(await settled(aWaits)).toBe(true);
    expect(permit.held).toBe(1);
  });

  it("a waiter that aborts rejects with the reason and holds nothing", async () => {
    const permit = new LargeRecordPermit();
    const holder = new ReadGate(permit);
    holder.read = LARGE_RECORD_BYTES + 1;
    await holder.admit(live());

    const waiter = new ReadGate(permit);
    waiter.read = LARGE_RECORD_BYTES + 1;
    const stop = new AbortController();
    const waiting = waiter.admit(stop.signal);
    stop.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    waiter.release(); // not holding: must not give back the holder's permit
    expect(permit.held).toBe(1);
    holder.release();
    expect(permit.held).toBe(0);
  });
});

describe("ReadGate.release", () => {
  it("gives the permit back once, however often it is called", async () => {
    const permit = new LargeRecordPermit();
    const gate = new ReadGate(permit);
    gate.read = LARGE_RECORD_BYTES + 1;
    await gate.admit(live());
    gate.release();
    gate.release();
    expect(permit.held).toBe(0);
    // The permit is whole: one holder, and the next waits.
    await permit.acquire(live());
    expect(await settled(permit.acquire(live()))).toBe(false);
  });

  it("without the permit, leaves another holder's alone", async () => {
    const permit = new LargeRecordPermit();
    await permit.acquire(live());
    const gate = new ReadGate(permit);
    const next = permit.acquire(live());
    gate.release();
    expect(await settled(next)).toBe(false);
    expect(permit.held).toBe(1);
  });
});

describe("gated", () => {
  /** A source that records how many chunks were pulled from it. */
  function source(sizes: number[]) {
    const pulled: number[] = [];
    async function* gen(): AsyncGenerator<Buffer> {
      for (const n of sizes) {
        pulled.push(n);
        yield Buffer.alloc(n, 0x61);
      }
    }
    return { pulled, chunks: gen() };
  }

  it("passes the chunks through and counts them as read", async () => {
    const gate = new ReadGate(new LargeRecordPermit());
    const { chunks } = source([3, 5, 7]);
    const seen: Array<[number, number]> = [];
    for await (const c of gated(chunks, gate, live())) seen.push([c.byteLength, gate.read]);
    expect(seen).toEqual([
      [3, 3],
      [5, 8],
      [7, 15],
    ]);
  });

  it("reads no further into a large record while another object holds the permit", async () => {
    const permit = new LargeRecordPermit();
    await permit.acquire(live()); // another object's large record
    const gate = new ReadGate(permit);
    const { pulled, chunks } = source([LARGE_RECORD_BYTES, 1, 2]);
    const it = gated(chunks, gate, live());
    expect((await it.next()).value?.byteLength).toBe(LARGE_RECORD_BYTES);
    const second = it.next();
    expect(await settled(second)).toBe(true); // exactly LARGE_RECORD_BYTES: no permit needed
    const third = it.next();
    expect(await settled(third)).toBe(false); // past it: waits before reading on
    expect(pulled).toEqual([LARGE_RECORD_BYTES, 1]);
    permit.release();
    expect((await third).value?.byteLength).toBe(2);
    expect(pulled).toEqual([LARGE_RECORD_BYTES, 1, 2]);
    expect(permit.held).toBe(1); // the gate's now
    gate.release();
    expect(permit.held).toBe(0);
  });

  it("reads on freely while the records keep ending", async () => {
    const permit = new LargeRecordPermit();
    await permit.acquire(live());
    const gate = new ReadGate(permit);
    const { pulled, chunks } = source([LARGE_RECORD_BYTES, LARGE_RECORD_BYTES, LARGE_RECORD_BYTES]);
    for await (const _ of gated(chunks, gate, live())) gate.lastOffset = gate.read - 1;
    expect(pulled).toHaveLength(3);
  });

  it("rejects with the reason when aborted while waiting for the permit", async () => {
    const permit = new LargeRecordPermit();
    await permit.acquire(live());
    const gate = new ReadGate(permit);
    const stop = new AbortController();
    const it = gated(source([LARGE_RECORD_BYTES + 1, 1]).chunks, gate, stop.signal);
    await it.next();
    const next = it.next();
    stop.abort(new Error("shutdown"));
    await expect(next).rejects.toThrow("shutdown");
  });
});

/**
 * The pacing of full collections lives in module state: each test imports a fresh copy of the
 * module, with a stand-in for the collector where it counts them.
 */
describe("full collections", () => {
  type Module = typeof import("../../src/pipeline/readGate.ts");
  const realGc = (globalThis as { gc?: () => void }).gc;
  let gc: ReturnType<typeof vi.fn>;
  let m: Module;

  beforeEach(async () => {
    gc = vi.fn();
    (globalThis as { gc?: () => void }).gc = gc as unknown as () => void;
    vi.resetModules();
    m = await import("../../src/pipeline/readGate.ts");
  });

  afterEach(() => {
    if (realGc) (globalThis as { gc?: () => void }).gc = realGc;
    else delete (globalThis as { gc?: () => void }).gc;
    vi.restoreAllMocks();
  });

  /** A gate holding its permit, as while a large record is assembled. */
  async function holdingGate() {
    const gate = new m.ReadGate(new m.LargeRecordPermit());
    gate.read = m.LARGE_RECORD_BYTES + 1;
    await gate.admit(live());
    return gate;
  }

  /** Reads `bytes` more into the large record and admits the next read. */
  async function readLarge(gate: ReadGate, bytes: number) {
    gate.read += bytes;
    await gate.admit(live());
  }

  it("one every 8 MiB decompressed, off the reader's stack", async () => {
    m.decodedBytesRead(8 * MiB - 1);
    await settle();
    expect(gc).not.toHaveBeenCalled();
    m.decodedBytesRead(1);
    expect(gc).not.toHaveBeenCalled(); // not synchronously
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
    // counted afresh after it
    m.decodedBytesRead(8 * MiB - 1);
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
    m.decodedBytesRead(1);
    await settle();
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it("one at a time, however much is read before it runs", async () => {
    m.decodedBytesRead(8 * MiB);
    m.decodedBytesRead(8 * MiB);
    const gate = await holdingGate();
    await readLarge(gate, 9 * MiB);
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
    // and the next one can be scheduled after it ran
    m.decodedBytesRead(8 * MiB);
    await settle();
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it("one at a time when the large records ask first", async () => {
    const gate = await holdingGate();
    await readLarge(gate, 9 * MiB);
    await readLarge(gate, 9 * MiB);
    m.decodedBytesRead(9 * MiB);
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it("one every 8 MiB read into large records under the permit", async () => {
    const gate = await holdingGate();
    await readLarge(gate, 8 * MiB - 1);
    await settle();
    expect(gc).not.toHaveBeenCalled();
    await readLarge(gate, 1);
    expect(gc).not.toHaveBeenCalled();
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
    // counted afresh after it
    await readLarge(gate, 8 * MiB - 1);
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
    await readLarge(gate, 1);
    await settle();
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it("bytes read without the permit do not count as large", async () => {
    const gate = new m.ReadGate(new m.LargeRecordPermit());
    for (let i = 0; i < 40; i++) {
      gate.read += m.LARGE_RECORD_BYTES;
      await gate.admit(live());
      gate.lastOffset = gate.read;
    }
    await settle();
    expect(gc).not.toHaveBeenCalled();
  });

  it("a collection for the decompressed bytes also counts the large ones afresh", async () => {
    const gate = await holdingGate();
    await readLarge(gate, 5 * MiB);
    m.decodedBytesRead(8 * MiB);
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
    await readLarge(gate, 5 * MiB); // 5 MiB since that collection, not 10
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it("a collection for the large bytes leaves the decompressed count alone", async () => {
    m.decodedBytesRead(5 * MiB);
    const gate = await holdingGate();
    await readLarge(gate, 8 * MiB);
    await settle();
    expect(gc).toHaveBeenCalledTimes(1);
    m.decodedBytesRead(3 * MiB);
    await settle();
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it("without --expose-gc, still collects, once it obtained the collector, and leaves gc unexposed", async () => {
    delete (globalThis as { gc?: () => void }).gc;
    const runInNewContext = vi.spyOn(vm, "runInNewContext");
    const collected = (() => {
      const ref = new WeakRef({ garbage: "x".repeat(100) });
      return () => ref.deref() === undefined;
    })();
    await settle(); // past the job that created it: only the weak reference holds it now
    m.decodedBytesRead(8 * MiB);
    await settle();
    expect(collected()).toBe(true);
    expect(runInNewContext).toHaveBeenCalledTimes(1);
    expect(vm.runInNewContext("typeof gc")).toBe("undefined");
    m.decodedBytesRead(8 * MiB);
    await settle();
    expect(runInNewContext.mock.calls.filter(([code]) => code === "gc")).toHaveLength(1);
  });
});
