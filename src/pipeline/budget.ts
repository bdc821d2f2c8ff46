/**
 * One budget of bytes in flight for the whole process (events published and not yet acknowledged,
 * counted as shipped). The per-object bound (4 batches) alone lets `maxMessagesInFlight` objects of
 * small events hold 40 MiB shipped, several times that as JavaScript objects: with short lines that
 * took peak RSS past 300 MB. A shared budget keeps it flat whatever the concurrency.
 */
import { untilAborted } from "../util/abort.ts";

/** Bytes (as shipped) that may wait for acknowledgements at once, all objects together (8 MiB: on workload A of npm run bench, 16 MiB cost more memory and was no faster). */
export const DEFAULT_BYTES_IN_FLIGHT = 8 * 1024 * 1024;

export class ByteBudget {
  readonly #limit: number;
  #used = 0;
  #waiters: (() => void)[] = [];

  constructor(limit = DEFAULT_BYTES_IN_FLIGHT) {
    this.#limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /**
   * Waits until `bytes` fit, then takes them. A request larger than the whole budget is granted when
   * nothing else is held (one large event must still get through); waiting ends early on `signal`.
   */
  async acquire(bytes: number, signal: AbortSignal): Promise<void> {
    while (this.#used > 0 && this.#used + bytes > this.#limit) {
      await untilAborted(new Promise<void>((resolve) => this.#waiters.push(resolve)), signal);
    }
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
