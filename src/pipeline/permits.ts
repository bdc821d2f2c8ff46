/**
 * A first-come, first-served counting semaphore: at most `capacity` holders at once. A waiter
 * whose signal aborts (shutdown) leaves the queue and rejects with the signal's reason.
 */
export class Permits {
  readonly capacity: number;
  #held = 0;
  #waiters: Array<() => void> = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`permits: capacity must be a whole number ≥ 1, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Holders right now. */
  get held(): number {
    return this.#held;
  }

  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#held < this.capacity) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(grant);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(signal.reason);
      };
      this.#waiters.push(grant);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Hands the permit to the longest waiter, if any. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held--;
  }
}

/** Objects stored at least this large take a large-object permit (see ObjectProcessorDeps.largeObjects). */
export const LARGE_OBJECT_BYTES = 256 * 1024;

/** Whether reading the object needs a large-object permit: its stored size (from the notification) is large, or unknown. */
export function isLargeObject(storedBytes: number | undefined): boolean {
  return storedBytes === undefined || storedBytes >= LARGE_OBJECT_BYTES;
}
