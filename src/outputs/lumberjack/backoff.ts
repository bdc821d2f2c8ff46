/**
 * Reconnect delays: `init`, doubling per consecutive failure up to `max`, back to `init` after a
 * success. Each delay is jittered down to half its value, so that several s3beat processes that
 * lost the same collector do not all reconnect in the same instant.
 */
export class Backoff {
  private readonly initMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private nextMs: number;

  /** @param random source of jitter in [0, 1) (tests pass a constant). */
  constructor(initMs: number, maxMs: number, random: () => number = Math.random) {
    this.initMs = Math.max(0, initMs);
    this.maxMs = Math.max(this.initMs, maxMs);
    this.random = random;
    this.nextMs = this.initMs;
  }

  /** The delay before the next attempt; each call doubles the following one (capped). */
  next(): number {
    const base = this.nextMs;
    this.nextMs = Math.min(this.maxMs, Math.max(1, this.nextMs * 2));
    return Math.round(base / 2 + (base / 2) * this.random());
  }

  /** After a success: the next failure waits `init` again. */
  reset(): void {
    this.nextMs = this.initMs;
  }
}
