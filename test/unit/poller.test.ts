/** pollQueue with a fake receiver and fake timers: receive sizes, backoff on receive errors, release after stop. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/logging/logger.ts";
import type { Logger } from "pino";
import { pollQueue, type PollerOptions } from "../../src/sqs/poller.ts";
import { sleep } from "../../src/util/abort.ts";
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

/** Like setup(), and also records the log lines, the loop states and what the observer is told. */
function observed(capacity: number, answer: (n: number, signal: AbortSignal) => Promise<ReceivedMessage[]>, handle?: (m: ReceivedMessage) => Promise<void>) {
  const logs: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const log = {
    error: (fields: Record<string, unknown>, msg: string) => void logs.push({ level: "error", fields, msg }),
  } as unknown as Logger;
  const states: string[] = [];
  const received: { ids: string[]; seconds: number }[] = [];
  const failed: { reason: string; seconds: number }[] = [];
  const released: string[] = [];
  const signals: AbortSignal[] = [];
  const slots = new Slots(capacity);
  const stop = new AbortController();
  const opts: PollerOptions = {
    queueName: "logs-queue",
    receiver: {
      receive: (_max, signal) => {
        signals.push(signal);
        return answer(signals.length, signal);
      },
    },
    slots,
    handle: handle ?? (async () => undefined),
    release: async (m) => void released.push(m.messageId),
    log,
    observer: {
      received: (messages, seconds) => void received.push({ ids: messages.map((m) => m.messageId), seconds }),
      failed: (reason, seconds) => void failed.push({ reason, seconds }),
    },
    loopHealth: { enter: (state) => void states.push(state) },
  };
  return { logs, states, received, failed, released, signals, slots, stop, opts };
}

describe("pollQueue: what it tells the observer, the log and /healthz", () => {
  it("tells the observer what each receive returned and how long it took", async () => {
    const t = observed(2, (n, signal) => (n === 1 ? new Promise((r) => setTimeout(() => r([message("a"), message("b")]), 1500)) : emptyPoll(20_000, signal)));
    const loop = pollQueue(t.opts, t.stop.signal);
    await vi.advanceTimersByTimeAsync(21_500);
    t.stop.abort();
    await loop;
    expect(t.received).toEqual([
      { ids: ["a", "b"], seconds: 1.5 },
      { ids: [], seconds: 20 },
      { ids: [], seconds: 0 }, // the long poll the stop ended
    ]);
  });

  it("logs a failed receive with the queue, the error type and the backoff, and tells the observer", async () => {
    const t = observed(1, (n, signal) =>
      n === 1
        ? new Promise((_r, reject) => setTimeout(() => reject(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })), 250))
        : emptyPoll(20_000, signal),
    );
    await vi.advanceTimersByTimeAsync(5000); // the clock is not at 0 when the receive starts
    const loop = pollQueue(t.opts, t.stop.signal);
    await vi.advanceTimersByTimeAsync(300);
    const reason = "ReceiveMessage failed on logs-queue: Rate exceeded";
    expect(t.failed).toEqual([{ reason, seconds: 0.25 }]);
    expect(t.logs).toEqual([{ level: "error", fields: { queue: "logs-queue", "error.type": "ThrottlingException", retryInMs: 1000 }, msg: reason }]);
    t.stop.abort();
    await loop;
  });

  it("backs off at most 30 s", async () => {
    const t = observed(1, () => Promise.reject(new Error("down")));
    const loop = pollQueue(t.opts, t.stop.signal);
    await vi.advanceTimersByTimeAsync(200_000);
    t.stop.abort();
    await loop;
    expect(t.logs.slice(0, 9).map((l) => l.fields.retryInMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it("enters receiving, backing-off, waiting-for-worker and stopped as it goes", async () => {
    let finish!: () => void;
    const busy = new Promise<void>((r) => (finish = r));
    const t = observed(
      1,
      (n, signal) => (n === 1 ? Promise.reject(new Error("down")) : n === 2 ? Promise.resolve([message("a")]) : emptyPoll(20_000, signal)),
      () => busy,
    );
    const loop = pollQueue(t.opts, t.stop.signal);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.states).toEqual(["receiving", "backing-off", "receiving", "waiting-for-worker"]);
    finish();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.states.at(-1)).toBe("receiving");
    t.stop.abort();
    await loop;
    expect(t.states.at(-1)).toBe("stopped");
  });

  it("enters stopped when the loop ends on a failure", async () => {
    const t = observed(1, () => Promise.resolve([message("a")]));
    t.slots.reserve = () => {
      throw new Error("bug");
    };
    await expect(pollQueue(t.opts, t.stop.signal)).rejects.toThrow("bug");
    expect(t.states).toEqual(["stopped"]);
  });

  it("a receive aborted by the stop is neither logged nor reported, and gives its slots back", async () => {
    const t = observed(
      3,
      (_n, signal) => new Promise((_r, reject) => signal.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })))),
    );
    const loop = pollQueue(t.opts, t.stop.signal);
    await vi.advanceTimersByTimeAsync(1);
    t.stop.abort();
    await loop;
    expect(t.logs).toEqual([]);
    expect(t.failed).toEqual([]);
    expect(t.signals).toHaveLength(1);
    expect(t.slots.free()).toBe(3);
  });

  it("receives with receiveSignal when given, and gives back the slots of what it releases after the stop", async () => {
    let answer!: (m: ReceivedMessage[]) => void;
    const t = observed(3, () => new Promise((r) => (answer = r)));
    const receiveStop = new AbortController();
    const loop = pollQueue(t.opts, t.stop.signal, receiveStop.signal);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.signals).toEqual([receiveStop.signal]);
    t.stop.abort();
    answer([message("late-1"), message("late-2")]);
    await loop;
    expect(t.released).toEqual(["late-1", "late-2"]);
    expect(t.received).toEqual([{ ids: ["late-1", "late-2"], seconds: 0.001 }]);
    expect(t.slots.free()).toBe(3);
  });

  it("logs a handler that crashed, but not one dropped at shutdown (AbortError)", async () => {
    const t = observed(
      2,
      (n, signal) => (n === 1 ? Promise.resolve([message("bug"), message("dropped")]) : emptyPoll(20_000, signal)),
      async (m) => {
        throw m.messageId === "bug" ? new TypeError("x is undefined") : Object.assign(new Error("dropped"), { name: "AbortError" });
      },
    );
    const loop = pollQueue(t.opts, t.stop.signal);
    await vi.advanceTimersByTimeAsync(1);
    t.stop.abort();
    await loop;
    expect(t.logs).toHaveLength(1);
    expect(t.logs[0]?.msg).toBe("message handler crashed");
    expect(t.logs[0]?.fields.error).toBeInstanceOf(TypeError);
  });

  it("a handler rejecting with nothing does not crash the poller", async () => {
    const t = observed(
      1,
      (n, signal) => (n === 1 ? Promise.resolve([message("a")]) : emptyPoll(20_000, signal)),
      () => Promise.reject(undefined),
    );
    const loop = pollQueue(t.opts, t.stop.signal);
    await vi.advanceTimersByTimeAsync(1);
    t.stop.abort();
    await loop;
    expect(t.logs).toEqual([{ level: "error", fields: { error: undefined }, msg: "message handler crashed" }]);
  });

  it("works without an observer or loop health", async () => {
    const t = observed(1, (n, signal) => (n === 1 ? Promise.reject(new Error("down")) : n === 2 ? Promise.resolve([message("a")]) : emptyPoll(20_000, signal)));
    const { observer: _o, loopHealth: _h, ...bare } = t.opts;
    const loop = pollQueue(bare, t.stop.signal);
    await vi.advanceTimersByTimeAsync(1001);
    expect(t.signals).toHaveLength(3);
    t.stop.abort();
    await loop;
  });
});

describe("sleep", () => {
  it("resolves after the time, and clears its timer", async () => {
    let done = false;
    void sleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("resolves at once when the signal aborts, clearing its timer", async () => {
    const ac = new AbortController();
    let done = false;
    void sleep(60_000, ac.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    ac.abort();
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("resolves at once, without a timer, when the signal has already aborted", async () => {
    await sleep(60_000, AbortSignal.abort());
    expect(vi.getTimerCount()).toBe(0);
  });

  it("listens for the abort once, and stops listening when it ends", async () => {
    const calls: string[] = [];
    const ac = new AbortController();
    const signal = {
      get aborted() {
        return ac.signal.aborted;
      },
      addEventListener: (type: string, _fn: unknown, opts: unknown) => void calls.push(`add ${type} ${JSON.stringify(opts)}`),
      removeEventListener: (type: string) => void calls.push(`remove ${type}`),
    } as unknown as AbortSignal;
    const slept = sleep(100, signal);
    await vi.advanceTimersByTimeAsync(100);
    await slept;
    expect(calls).toEqual(['add abort {"once":true}', "remove abort"]);
  });
});
