/**
 * libbeat's "slow start" window: how many events the next lumberjack window may hold. A fresh
 * output does not know how much the collector can take before its timeout, so it starts small,
 * grows by half after every window that was full and fully acknowledged, and halves after a failure.
 */

/** Events in the first window (libbeat's default). */
export const INITIAL_WINDOW = 10;

export class DynamicWindow {
  #current: number;
  readonly #max: number;

  /** @param max bulk_max_size: the window never grows past it. @param start first size (default 10, at most `max`). */
  constructor(max: number, start = INITIAL_WINDOW) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`window maximum must be a whole number ≥ 1, got ${max}`);
    this.#max = max;
    this.#current = Math.max(1, Math.min(start, max));
  }

  /** Events the next window may hold. */
  get size(): number {
    return this.#current;
  }

  /**
   * A window of `sent` events was fully acknowledged. It grows only if that window was full: a
   * small window that succeeded says nothing about whether a larger one would.
   */
  succeeded(sent: number): void {
    if (sent < this.#current) return;
    this.#current = Math.min(this.#max, Math.ceil(this.#current * 1.5));
  }

  /** A window failed (error or timeout): the next one is half as large, at least 1 event. */
  failed(): void {
    this.#current = Math.max(1, Math.floor(this.#current / 2));
  }
}
