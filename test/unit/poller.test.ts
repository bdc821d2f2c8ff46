/** pollQueue with a fake receiver and fake timers: receive sizes, backoff on receive errors, release after stop. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/logging/logger.ts";
import { pollQueue, type PollerOptions } from "../../src/sqs/poller.ts";
import { Slots } from "../../src/sqs/slots.ts";
import type { ReceivedMessage } from "../../src/sqs/sqsQueue.ts";

const message = (id: string): ReceivedMessage => ({ messageId: id, receiptHandle: `rh-${id}`, body: "{}", receiveCount: 1 });

/** A long poll that returns nothing after `ms` (SQS's wait), or earlier when aborted. */
const emptyPoll = (ms: number, signal: AbortSignal) =>
  new Promise<ReceivedMessage[]>((resolve) => {
    const t = setTimeout(() => resolve([]), ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve([])), { once: true });
  });

/** Each receive answers with the next of `answers` (a function of the call); records when and how many it asked for. */
function setup(capacity: number, answer: (n: number, signal: AbortSignal) => Promise<ReceivedMessage[]>, slots = new Slots(capacity)) {
  const receives: { at: number; max: number }[] = [];
  const handled: string[] = [];
  const released: string[] = [];
  const failures: string[] = [];
  const stop = new AbortController();
  const opts: PollerOptions = {
    queueName: "q",
    receiver: {
      receive: (max, signal) => {
        receives.push({ at: Date.now(), max });
        return answer(receives.length, signal);
      },
    },
    slots,
    handle: async (m) => void handled.push(m.messageId),
    release: async (m) => void released.push(m.messageId),
    log: silentLogger(),
    observer: { received: () => undefined, failed: (reason) => void failures.push(reason) },
  };
  const started = Date.now();
  return { receives, handled, released, failures, stop, started, run: () => pollQueue(opts, stop.signal) };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("pollQueue", () => {
  it.each([
    [3, 3],
    [25, 10],
  ])("with %s idle workers, a receive asks for %s messages", async (capacity, asked) => {
    const t = setup(capacity, (_n, signal) => emptyPoll(20_000, signal));
    const loop = t.run();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.receives.map((r) => r.max)).toEqual([asked]);
    t.stop.abort();
    await loop;
  });

  it("hands what it receives to the workers", async () => {
    const t = setup(4, async (n, signal) => (n === 1 ? [message("a"), message("b")] : emptyPoll(20_000, signal)));
    const loop = t.run();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.handled).toEqual(["a", "b"]);
    expect(t.released).toEqual([]);
    t.stop.abort();
    await loop;
  });

  it("backs off after receive errors (1 s, doubling), and from 1 s again after a receive succeeds", async () => {
    // Calls 1-4 fail, 5 succeeds (a 20 s long poll), 6 fails, then long polls.
    const t = setup(1, (n, signal) =>
      n <= 4 || n === 6 ? Promise.reject(Object.assign(new Error("throttled"), { name: "ThrottlingException" })) : emptyPoll(20_000, signal),
    );
    const loop = t.run();
    await vi.advanceTimersByTimeAsync(60_000);
    t.stop.abort();
    await loop;
    const gaps = t.receives.slice(1, 7).map((r, i) => r.at - t.receives[i]!.at);
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 20_000, 1000]);
    expect(t.failures).toHaveLength(5);
    expect(t.failures[0]).toMatch(/^ReceiveMessage failed on q: /);
  });

  it("stops at once when stopped during a backoff", async () => {
    const t = setup(1, () => Promise.reject(new Error("down")));
    const loop = t.run();
    await vi.advanceTimersByTimeAsync(8000); // backing off 8 s now
    const receives = t.receives.length;
    t.stop.abort();
    await loop; // would hang on a sleep that ignores the signal (fake timers do not advance here)
    expect(t.receives).toHaveLength(receives);
  });

  it("releases, and does not handle, what a receive returns after the stop", async () => {
    let answer!: (m: ReceivedMessage[]) => void;
    const t = setup(2, () => new Promise((r) => (answer = r)));
    const loop = t.run();
    await vi.advanceTimersByTimeAsync(1);
    t.stop.abort(); // the receive is not aborted: it returns what SQS had handed to it
    answer([message("late")]);
    await loop;
    expect(t.released).toEqual(["late"]);
    expect(t.handled).toEqual([]);
    expect(t.receives).toHaveLength(1);
  });

  it("waits for a free worker instead of receiving when all are busy", async () => {
    let finish!: () => void;
    const busy = new Promise<void>((r) => (finish = r));
    const slots = new Slots(1);
    void slots.add(() => busy);
    const t = setup(1, (_n, signal) => emptyPoll(20_000, signal), slots);
    const loop = t.run();
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.receives).toEqual([]);
    finish();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.receives.map((r) => r.max)).toEqual([1]);
    t.stop.abort();
    await loop;
  });
});
