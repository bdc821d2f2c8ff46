/**
 * The lumberjack output's queue of events waiting to be sent, and the bookkeeping that settles each
 * published batch exactly when every one of its events has been acknowledged. Windows are cut from
 * the front of the queue; a window may hold the tail of one batch and the head of the next, and a
 * batch may span several windows (on one or, with loadbalance, several connections).
 */

/** One `publish` call waiting for its acknowledgement. */
export interface PendingBatch {
  /** Events of the batch not acknowledged yet; the batch resolves when it reaches 0. */
  unacked: number;
  resolve(): void;
  /** The batch cannot be sent at all (an event that cannot be serialized). */
  reject(err: Error): void;
}

/** Events `from` (inclusive) to `to` (exclusive) of one batch. */
export interface Slice<E> {
  batch: PendingBatch;
  events: readonly E[];
  from: number;
  to: number;
}

const length = (s: Slice<unknown>): number => s.to - s.from;

/** Number of events in `slices`. */
export function countEvents(slices: readonly Slice<unknown>[]): number {
  return slices.reduce((n, s) => n + length(s), 0);
}

/** The events of a window, in order (what is serialized and numbered 1..n). */
export function windowEvents<E>(slices: readonly Slice<E>[]): E[] {
  const out: E[] = [];
  for (const s of slices) for (let i = s.from; i < s.to; i++) out.push(s.events[i]!);
  return out;
}

/**
 * The server acknowledged window events `before`+1 .. `now` (1-based): credits each batch with its
 * events in that range, and resolves the batches that have nothing left unacknowledged.
 */
export function credit(slices: readonly Slice<unknown>[], before: number, now: number): void {
  let start = 0; // window position of the slice's first event
  for (const s of slices) {
    const end = start + length(s);
    const covered = Math.min(end, now) - Math.max(start, before);
    if (covered > 0) {
      s.batch.unacked -= covered;
      if (s.batch.unacked === 0) s.batch.resolve();
    }
    start = end;
    if (start >= now) break;
  }
}

/** The slices of the events after the first `acked` of a window: what must be sent again. */
export function unacknowledged<E>(slices: readonly Slice<E>[], acked: number): Slice<E>[] {
  const out: Slice<E>[] = [];
  let skip = acked;
  for (const s of slices) {
    const n = length(s);
    if (skip >= n) {
      skip -= n;
      continue;
    }
    out.push({ ...s, from: s.from + skip });
    skip = 0;
  }
  return out;
}

/** Events waiting to be sent, in publish order, with a way for idle workers to wait for more. */
export class SendQueue<E> {
  #slices: Slice<E>[] = [];
  #events = 0;
  #waiters: Array<() => void> = [];

  /** Events waiting. */
  get size(): number {
    return this.#events;
  }

  /** Appends a batch's events. */
  add(batch: PendingBatch, events: readonly E[]): void {
    if (events.length === 0) return;
    this.#slices.push({ batch, events, from: 0, to: events.length });
    this.#events += events.length;
    this.wake();
  }

  /** Puts events of a failed window back at the front, so they go out next, still in order. */
  putBack(slices: readonly Slice<E>[]): void {
    if (slices.length === 0) return;
    this.#slices.unshift(...slices);
    this.#events += countEvents(slices);
    this.wake();
  }

  /** Removes and returns up to `max` events from the front (splitting a batch if needed). */
  take(max: number): Slice<E>[] {
    const out: Slice<E>[] = [];
    let room = max;
    while (room > 0 && this.#slices.length > 0) {
      const head = this.#slices[0]!;
      const n = length(head);
      if (n <= room) {
        out.push(head);
        this.#slices.shift();
        room -= n;
      } else {
        out.push({ ...head, to: head.from + room });
        this.#slices[0] = { ...head, from: head.from + room };
        room = 0;
      }
    }
    this.#events -= max - room;
    return out;
  }

  /** Resolves once events are waiting (at once if some are), or when `wake` is called. */
  waitForWork(): Promise<void> {
    if (this.#events > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Releases every `waitForWork` (new events, or the output is stopping). */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
