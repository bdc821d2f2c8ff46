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
