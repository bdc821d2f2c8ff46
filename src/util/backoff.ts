/** Exponential backoff, the one rule for every retry in s3beat: `init`, doubling per failure, capped at `max`. */

/** The delay after `failures` consecutive failures (1 = the first): `init × 2^(failures − 1)`, at most `max`. */
export function backoffDelay(failures: number, init: number, max: number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  return Math.min(init * 2 ** exponent, max);
}

/**
 * Stateful backoff for a loop that retries (reconnects, rewrites): `init`, doubling per consecutive
 * failure up to `max`, back to `init` after a success. Each delay is jittered down to half its
 * value, so that several s3beat processes that lost the same collector do not all retry in the
 * same instant.
 */
export class Backoff {
  readonly #initMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  /** Consecutive failures so far. */
  #failures = 0;

  /** @param random source of jitter in [0, 1) (tests pass a constant). */
  constructor(initMs: number, maxMs: number, random: () => number = Math.random) {
    this.#initMs = Math.max(0, initMs);
    this.#maxMs = Math.max(this.#initMs, maxMs);
    this.#random = random;
  }

  /** The delay before the next attempt; each call doubles the following one (capped). */
  next(): number {
    this.#failures++;
    const base = backoffDelay(this.#failures, Math.max(1, this.#initMs), this.#maxMs);
    return Math.round(base / 2 + (base / 2) * this.#random());
  }

  /** After a success: the next failure waits `init` again. */
  reset(): void {
    this.#failures = 0;
  }
}

/** A retry delay for a log line: `250ms`, `1.5s`. */
export function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}
