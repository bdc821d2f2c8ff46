/**
 * Liveness and readiness, as the HTTP endpoint reports them. Parts (queues, roles, the output and
 * its hosts) report their state as it changes; `/readyz` and `/healthz` read it. The reasons are the
 * words the log used for the same problem, so an operator can match them.
 */
import { definedOnly } from "../util/optional.ts";

export interface PartState {
  ready: boolean;
  /** Why the part is not ready (the log's words); absent when ready. */
  reason?: string;
  /** Unix ms of the last change. */
  since: number;
}

/** Where a poll loop is: a receive that should end within the long-poll wait, or waiting for a free worker. */
export type LoopState = "receiving" | "waiting-for-worker" | "backing-off" | "stopped";

export interface LoopHealth {
  /** The loop entered `state` now. */
  enter(state: LoopState): void;
}

export interface LivenessReport {
  live: boolean;
  /** What is stuck, one entry per wedged part. */
  stuck: { part: string; reason: string }[];
}

export interface ReadinessReport {
  ready: boolean;
  /** Every part with its state; `notReady` repeats the failing ones with their reasons. */
  parts: Record<string, { ready: boolean; reason?: string }>;
  notReady: { part: string; reason: string }[];
}

/**
 * A loop is wedged when it has been in a receive for longer than `receiveStallMs`, or backing off
 * for longer than the longest backoff plus that much. Waiting for a worker is not wedged: the
 * workers are busy or the output is slow, and readiness reports the output.
 */
export function wedgedReason(state: LoopState, forMs: number, receiveStallMs: number): string | undefined {
  if (state === "receiving" && forMs > receiveStallMs) {
    return `a ReceiveMessage call has not returned for ${Math.round(forMs / 1000)}s (limit ${Math.round(receiveStallMs / 1000)}s)`;
  }
  if (state === "backing-off" && forMs > receiveStallMs + 60_000) {
    return `the poll loop has not come round for ${Math.round(forMs / 1000)}s`;
  }
  return undefined;
}

/**
 * How long a receive may take before the loop counts as wedged: several long-poll waits, and at
 * least the client's socket timeout (a stalled connection is ended by the SDK after that) plus margin.
 */
export function receiveStallLimitMs(waitTimeSeconds: number, socketTimeoutMs = 60_000): number {
  return Math.max(3 * waitTimeSeconds * 1000, waitTimeSeconds * 1000 + socketTimeoutMs + 10_000);
}

export class Health {
  readonly #parts = new Map<string, PartState | (() => PartState)>();
  readonly #loops = new Map<string, { state: LoopState; since: number }>();
  readonly #now: () => number;
  readonly #receiveStallMs: number;
  /** Longest event-loop delay (ms) seen recently, fed by the HTTP server's monitor. */
  eventLoopDelayMs: () => number = () => 0;
  /** Event-loop delay beyond which the process counts as wedged. */
  readonly eventLoopLimitMs: number;

  constructor(opts: { receiveStallMs: number; eventLoopLimitMs?: number; now?: () => number }) {
    this.#receiveStallMs = opts.receiveStallMs;
    this.eventLoopLimitMs = opts.eventLoopLimitMs ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Records a part's state; a repeated state keeps its original `since`. */
  set(part: string, ready: boolean, reason?: string): void {
    const prev = this.#parts.get(part);
    if (typeof prev === "object" && prev.ready === ready && prev.reason === reason) return;
    this.#parts.set(part, { ready, ...(ready || reason === undefined ? {} : { reason }), since: this.#now() });
  }

  /** A part whose state is computed when asked (credentials that expire with time). */
  setCheck(part: string, check: () => PartState): void {
    this.#parts.set(part, check);
  }

  loop(name: string): LoopHealth {
    this.#loops.set(name, { state: "receiving", since: this.#now() });
    return {
      enter: (state) => this.#loops.set(name, { state, since: this.#now() }),
    };
  }

  liveness(): LivenessReport {
    const stuck: { part: string; reason: string }[] = [];
    const now = this.#now();
    for (const [name, l] of this.#loops) {
      const reason = wedgedReason(l.state, now - l.since, this.#receiveStallMs);
      if (reason) stuck.push({ part: `queue ${name}`, reason });
    }
    const lag = this.eventLoopDelayMs();
    if (lag > this.eventLoopLimitMs) stuck.push({ part: "event loop", reason: `blocked for ${Math.round(lag / 1000)}s` });
    return { live: stuck.length === 0, stuck };
  }

  readiness(): ReadinessReport {
    const parts: ReadinessReport["parts"] = {};
    const notReady: { part: string; reason: string }[] = [];
    for (const [part, v] of this.#parts) {
      const s = typeof v === "function" ? v() : v;
      parts[part] = definedOnly({ ready: s.ready, reason: s.reason || undefined });
      if (!s.ready) notReady.push({ part, reason: s.reason ?? "not ready" });
    }
    if (this.#parts.size === 0) notReady.push({ part: "daemon", reason: "starting" });
    return { ready: notReady.length === 0, parts, notReady };
  }
}
