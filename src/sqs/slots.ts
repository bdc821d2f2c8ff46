import PQueue from "p-queue";

/**
 * The worker slots shared by every queue's poller, and the work queue they admit messages to (its
 * concurrency is maxMessagesInFlight). A receive reserves the slots it asks for until its messages
 * are added, so two pollers never receive for the same idle worker: a message that waited in the
 * local queue would get no visibility extension and could be handed out twice.
 */
export class Slots {
  readonly #work: PQueue;
  readonly #capacity: number;
  /** Tasks added and not yet settled (running or waiting for a worker). */
  #busy = 0;
  #reserved = 0;
  #waiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#work = new PQueue({ concurrency: capacity });
  }

  /** Messages being worked on or waiting for a worker. */
  get busy(): number {
    return this.#busy;
  }

  free(): number {
    return Math.max(0, this.#capacity - this.#busy - this.#reserved);
  }

  /** Reserves up to `max` free slots (SQS returns at most 10 a receive); 0 when none is free. */
  reserve(max = 10): number {
    const n = Math.min(max, this.free());
    this.#reserved += n;
    return n;
  }

  /** Returns reserved slots, once their messages (if any) have been added. */
  unreserve(n: number): void {
    this.#reserved -= n;
    this.#wake();
  }

  /**
   * Runs `task` when a worker is free. Rejects with an AbortError when clear() drops it before it
   * started: its message simply reappears after its visibility timeout.
   */
  add(task: () => Promise<void>): Promise<void> {
    this.#busy++;
    return this.#work.add(task).finally(() => {
      this.#busy--;
      this.#wake();
      if (this.#busy === 0) {
        const idle = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const w of idle) w();
      }
    });
  }

  /** Drops the tasks that have not started (shutdown); running ones go on. */
  clear(): void {
    this.#work.clear();
  }

  /** Resolves once no task is running or waiting. */
  onIdle(): Promise<void> {
    if (this.#busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
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
