import { describe, expect, it } from "vitest";
import { Slots } from "../../src/sqs/slots.ts";

describe("Slots: pollers of several queues never receive for the same idle worker", () => {
  it("a second reservation gets only what the first left, and the slots come back when tasks end", async () => {
    const slots = new Slots(4);
    expect(slots.reserve()).toBe(4); // poller A asks for every idle worker
    expect(slots.reserve()).toBe(0); // poller B, meanwhile, gets none
    // A's receive returned 3 messages: add them, then give the reservation back.
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const tasks = [0, 1, 2].map(() => slots.add(() => gate));
    slots.unreserve(4);
    expect(slots.busy).toBe(3);
    expect(slots.free()).toBe(1);
    expect(slots.reserve(10)).toBe(1);
    slots.unreserve(1);
    const freed = slots.wait(new AbortController().signal).then(() => slots.free());
    finish();
    expect(await freed).toBeGreaterThan(1);
    await Promise.all(tasks);
    await slots.onIdle();
    expect(slots.free()).toBe(4);
    expect(slots.busy).toBe(0);
  });

  it("caps a reservation at 10, SQS's batch size", () => {
    const slots = new Slots(25);
    expect(slots.reserve()).toBe(10);
    expect(slots.reserve()).toBe(10);
    expect(slots.reserve()).toBe(5);
  });

  it("wait resolves when the signal aborts", async () => {
    const slots = new Slots(1);
    slots.reserve();
    const ac = new AbortController();
    const waiting = slots.wait(ac.signal);
    ac.abort();
    await expect(waiting).resolves.toBeUndefined();
  });

  it("runs at most its capacity at once; clear() rejects the tasks not started and frees their slots", async () => {
    const slots = new Slots(1);
    let running = 0;
    let finish!: () => void;
    const first = slots.add(async () => {
      running++;
      await new Promise<void>((r) => (finish = r));
    });
    const second = slots.add(async () => void running++);
    await Promise.resolve();
    expect(running).toBe(1);
    expect(slots.busy).toBe(2);
    slots.clear();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(slots.busy).toBe(1);
    let idle = false;
    const idled = slots.onIdle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false); // the first task still runs
    finish();
    await first;
    await idled;
    expect(running).toBe(1);
    expect(slots.free()).toBe(1);
  });
});

describe("Slots: free, reserve, wait and onIdle at their edges", () => {
  it("free() is never negative while a receive's messages are added before its reservation is given back", async () => {
    const slots = new Slots(2);
    expect(slots.free()).toBe(2);
    expect(slots.reserve()).toBe(2);
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const tasks = [slots.add(() => gate), slots.add(() => gate)];
    expect(slots.free()).toBe(0); // 2 - 2 busy - 2 reserved
    expect(slots.reserve()).toBe(0);
    slots.unreserve(2);
    expect(slots.free()).toBe(0);
    finish();
    await Promise.all(tasks);
    expect(slots.free()).toBe(2);
  });

  it("reserve takes at most what is asked, and 10 when not told", () => {
    const slots = new Slots(30);
    expect(slots.reserve(3)).toBe(3);
    expect(slots.free()).toBe(27);
    expect(slots.reserve()).toBe(10);
    expect(slots.free()).toBe(17);
    slots.unreserve(13);
    expect(slots.free()).toBe(30);
  });

  it("unreserve wakes the waiters, once each", async () => {
    const slots = new Slots(1);
    slots.reserve();
    let woken = 0;
    const ac = new AbortController();
    const waits = [slots.wait(ac.signal), slots.wait(ac.signal)].map((w) => w.then(() => woken++));
    await Promise.resolve();
    expect(woken).toBe(0);
    slots.unreserve(1);
    await Promise.all(waits);
    expect(woken).toBe(2);
  });

  it("a task's end wakes the waiters", async () => {
    const slots = new Slots(1);
    let finish!: () => void;
    const task = slots.add(() => new Promise<void>((r) => (finish = r)));
    let woken = false;
    const waiting = slots.wait(new AbortController().signal).then(() => (woken = true));
    await Promise.resolve();
    expect(woken).toBe(false);
    finish();
    await task;
    await waiting;
    expect(woken).toBe(true);
  });

  it("wait resolves at once when the signal has already aborted", async () => {
    const slots = new Slots(1);
    slots.reserve();
    await expect(slots.wait(AbortSignal.abort())).resolves.toBeUndefined();
  });

  it("a wait that ended on abort does not hold on to the signal's listener", async () => {
    const slots = new Slots(1);
    slots.reserve();
    const calls: string[] = [];
    const ac = new AbortController();
    const signal = {
      get aborted() {
        return ac.signal.aborted;
      },
      addEventListener: (type: string, fn: () => void, opts: unknown) => {
        calls.push(`add ${type} ${JSON.stringify(opts)}`);
        ac.signal.addEventListener(type, fn, opts as { once?: boolean });
      },
      removeEventListener: (type: string) => void calls.push(`remove ${type}`),
    } as unknown as AbortSignal;
    const waiting = slots.wait(signal);
    slots.unreserve(1);
    await waiting;
    expect(calls).toEqual(['add abort {"once":true}', "remove abort"]);
  });

  it("onIdle resolves at once when nothing runs, and for every waiter when the last task ends", async () => {
    const slots = new Slots(2);
    await expect(slots.onIdle()).resolves.toBeUndefined();
    let finishA!: () => void;
    let finishB!: () => void;
    const a = slots.add(() => new Promise<void>((r) => (finishA = r)));
    const b = slots.add(() => new Promise<void>((r) => (finishB = r)));
    let idle = 0;
    const idles = [slots.onIdle(), slots.onIdle()].map((p) => p.then(() => idle++));
    finishA();
    await a;
    await Promise.resolve();
    expect(idle).toBe(0); // b still runs
    finishB();
    await b;
    await Promise.all(idles);
    expect(idle).toBe(2);
    // A later onIdle is not answered by the waiters already released.
    await expect(slots.onIdle()).resolves.toBeUndefined();
    // Tasks added after the idle point run and end normally.
    await expect(slots.add(async () => undefined)).resolves.toBeUndefined();
    expect(slots.busy).toBe(0);
  });

  it("a task that fails still frees its slot, and the failure reaches the caller", async () => {
    const slots = new Slots(1);
    await expect(slots.add(async () => Promise.reject(new Error("handler bug")))).rejects.toThrow("handler bug");
    expect(slots.busy).toBe(0);
    expect(slots.free()).toBe(1);
  });
});
