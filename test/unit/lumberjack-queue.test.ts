import { describe, expect, it } from "vitest";
import { SendQueue, countEvents, credit, unacknowledged, windowEvents, type PendingBatch, type Slice } from "../../src/outputs/lumberjack/queue.ts";

interface TestBatch extends PendingBatch {
  name: string;
  resolved: boolean;
}

function batch(name: string, size: number): { b: TestBatch; events: string[] } {
  const b: TestBatch = {
    name,
    unacked: size,
    resolved: false,
    resolve() {
      if (b.resolved) throw new Error(`${name} resolved twice`);
      b.resolved = true;
    },
    reject(err) {
      throw err;
    },
  };
  return { b, events: Array.from({ length: size }, (_, i) => `${name}${i}`) };
}

/** A queue holding batches a (3 events), b (2) and c (4). */
function abc() {
  const q = new SendQueue<string>();
  const a = batch("a", 3);
  const b = batch("b", 2);
  const c = batch("c", 4);
  for (const x of [a, b, c]) q.add(x.b, x.events);
  return { q, a: a.b, b: b.b, c: c.b };
}

const names = (slices: Slice<string>[]) => windowEvents(slices).join(",");

describe("SendQueue.take", () => {
  it.each([
    { max: 2, want: ["a0,a1", "a2,b0,b1,c0,c1,c2,c3"] },
    { max: 3, want: ["a0,a1,a2", "b0,b1,c0", "c1,c2,c3"] },
    { max: 4, want: ["a0,a1,a2,b0", "b1,c0,c1,c2", "c3"] },
    { max: 9, want: ["a0,a1,a2,b0,b1,c0,c1,c2,c3"] },
    { max: 100, want: ["a0,a1,a2,b0,b1,c0,c1,c2,c3"] },
  ])("windows of $max cut batches in order", ({ max, want }) => {
    const { q } = abc();
    const got: string[] = [];
    // the first window of 2 then the rest: shows a split in the middle of a batch
    got.push(names(q.take(max)));
    while (q.size > 0) got.push(names(q.take(max === 2 ? 100 : max)));
    expect(got).toEqual(want);
    expect(q.take(5)).toEqual([]);
  });

  it("counts what is waiting", () => {
    const { q } = abc();
    expect(q.size).toBe(9);
    const w = q.take(4);
    expect(countEvents(w)).toBe(4);
    expect(q.size).toBe(5);
    q.putBack(w);
    expect(q.size).toBe(9);
  });

  it("an empty batch adds nothing", () => {
    const q = new SendQueue<string>();
    q.add(batch("e", 0).b, []);
    expect(q.size).toBe(0);
  });
});

describe("credit", () => {
  it.each([
    { name: "a window of whole batches, acked at once", max: 9, acks: [9], resolved: [["a", "b", "c"]] },
    { name: "partial ACKs resolve each batch when its last event is covered", max: 9, acks: [2, 3, 4, 5, 9], resolved: [[], ["a"], [], ["b"], ["c"]] },
    { name: "a partial ACK covering two batches", max: 9, acks: [6, 9], resolved: [["a", "b"], ["c"]] },
    { name: "a batch split over windows resolves only with its last window", max: 4, acks: [4], resolved: [["a"]] },
  ])("$name", ({ max, acks, resolved }) => {
    const { q, a, b, c } = abc();
    const slices = q.take(max);
    let before = 0;
    const got = acks.map((k) => {
      const was = [a, b, c].filter((x) => x.resolved).map((x) => x.name);
      credit(slices, before, k);
      before = k;
      return [a, b, c].filter((x) => x.resolved && !was.includes(x.name)).map((x) => x.name);
    });
    expect(got).toEqual(resolved);
  });

  it("counts every event once, whatever the split over windows", () => {
    const { q, a, b, c } = abc();
    const w1 = q.take(4); // a0 a1 a2 b0
    const w2 = q.take(4); // b1 c0 c1 c2
    const w3 = q.take(4); // c3
    credit(w2, 0, 4); // out of order, as with loadbalance
    expect([a.unacked, b.unacked, c.unacked]).toEqual([3, 1, 1]);
    expect(b.resolved).toBe(false);
    credit(w1, 0, 4);
    expect([a.resolved, b.resolved, c.resolved]).toEqual([true, true, false]);
    credit(w3, 0, 1);
    expect(c.resolved).toBe(true);
    expect([a.unacked, b.unacked, c.unacked]).toEqual([0, 0, 0]);
  });
});

describe("unacknowledged", () => {
  it.each([
    { acked: 0, want: "a0,a1,a2,b0,b1,c0" },
    { acked: 2, want: "a2,b0,b1,c0" },
    { acked: 3, want: "b0,b1,c0" },
    { acked: 4, want: "b1,c0" },
    { acked: 5, want: "c0" },
    { acked: 6, want: "" },
  ])("after $acked of 6 acknowledged: $want", ({ acked, want }) => {
    const { q } = abc();
    expect(names(unacknowledged(q.take(6), acked))).toBe(want);
  });

  it("re-queued events go out first, in their order, and settle their batches exactly", () => {
    const { q, a, b, c } = abc();
    const w = q.take(6);
    credit(w, 0, 2); // a0 a1 acknowledged, then the connection failed
    q.putBack(unacknowledged(w, 2));
    expect(names(q.take(100))).toBe("a2,b0,b1,c0,c1,c2,c3");
    expect(a.unacked).toBe(1);
    expect([a.resolved, b.resolved, c.resolved]).toEqual([false, false, false]);
  });
});

describe("waitForWork", () => {
  it("resolves at once when events wait, or when some are added, or on wake", async () => {
    const q = new SendQueue<string>();
    let woke = 0;
    const p1 = q.waitForWork().then(() => woke++);
    await Promise.resolve();
    expect(woke).toBe(0);
    q.add(batch("x", 1).b, ["x"]);
    await p1;
    expect(woke).toBe(1);
    await q.waitForWork(); // events are waiting
    q.take(1);
    const p2 = q.waitForWork().then(() => woke++);
    q.wake();
    await p2;
    expect(woke).toBe(2);
  });
});
