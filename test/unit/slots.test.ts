import PQueue from "p-queue";
import { describe, expect, it } from "vitest";
import { Slots } from "../../src/sqs/slots.ts";

describe("Slots: pollers of several queues never receive for the same idle worker", () => {
  it("a second reservation gets only what the first left, and the slots come back when tasks end", async () => {
    const work = new PQueue({ concurrency: 4 });
    const slots = new Slots(work);
    expect(slots.reserve()).toBe(4); // poller A asks for every idle worker
    expect(slots.reserve()).toBe(0); // poller B, meanwhile, gets none
    // A's receive returned 3 messages: queue them, then give the reservation back.
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    for (let i = 0; i < 3; i++) void work.add(() => gate);
    slots.unreserve(4);
    expect(slots.free()).toBe(1);
    expect(slots.reserve(10)).toBe(1);
    slots.unreserve(1);
    const freed = slots.wait(new AbortController().signal).then(() => slots.free());
    finish();
    expect(await freed).toBeGreaterThan(1);
    await work.onIdle();
    expect(slots.free()).toBe(4);
  });

  it("caps a reservation at 10, SQS's batch size", () => {
    const slots = new Slots(new PQueue({ concurrency: 25 }));
    expect(slots.reserve()).toBe(10);
    expect(slots.reserve()).toBe(10);
    expect(slots.reserve()).toBe(5);
  });

  it("wait resolves when the signal aborts", async () => {
    const slots = new Slots(new PQueue({ concurrency: 1 }));
    slots.reserve();
    const ac = new AbortController();
    const waiting = slots.wait(ac.signal);
    ac.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
