import type PQueue from "p-queue";

/**
 * The worker slots shared by every queue's poller. A receive reserves the slots it asks for until
 * its messages are queued, so two pollers never receive for the same idle worker: a message that
 * waited in the local queue would get no visibility extension and could be handed out twice.
 */
export class Slots {
  readonly #work: PQueue;
  #reserved = 0;
  #waiters: (() => void)[] = [];

  constructor(work: PQueue) {
    this.#work = work;
    work.addEventListener("next", () => this.#wake());
  }

  free(): number {
    return Math.max(0, this.#work.concurrency - this.#work.pending - this.#work.size - this.#reserved);
  }

  /** Reserves up to `max` free slots (SQS returns at most 10 a receive); 0 when none is free. */
  reserve(max = 10): number {
    const n = Math.min(max, this.free());
    this.#reserved += n;
    return n;
  }

  /** Returns reserved slots, once their messages (if any) have been added to the work queue. */
  unreserve(n: number): void {
    this.#reserved -= n;
    this.#wake();
  }

  /** Resolves when a slot may have come free, or when `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
