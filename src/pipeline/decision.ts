/**
 * The one place that decides what happens to an SQS message once its work is over. Pure, so the
 * at-least-once rules are table-tested: delete only when every object is accounted for.
 *
 * Object failures come in two kinds (classified in objectProcessor.ts):
 * - transient ("failed"): network, throttling, 5xx, access denied, an output that fails. Reading
 *   again may succeed, so the message is kept and retried with backoff; after the queue's
 *   maxReceiveCount SQS itself moves it to the dead-letter queue.
 * - deterministic ("poison"): the object's own bytes are bad (a corrupt gzip object, or one that
 *   ends mid-stream after its whole body was read; data the decoder rejects as structurally
 *   broken). Every receive would fail at the same place and re-ship the events before it, so when
 *   the queue has a dead-letter queue the message is sent there at once (SendMessage of the
 *   original body, then deleted from the queue: never deleted before it is safely there). Without
 *   one (no RedrivePolicy), or when it cannot be reached, it is retried with backoff like a
 *   transient failure.
 * A transient failure wins over poison in the same message: dead-lettering would leave the failed
 * object unread.
 */
import { backoffDelay } from "../util/backoff.ts";

/** How one object named by a message ended. */
export type ObjectOutcome = "delivered" | "filtered" | "not-found" | "failed" | "poison";

export type MessageOutcome =
  | { kind: "objects"; objects: ObjectOutcome[] }
  | { kind: "malformed" }
  | { kind: "test-event" }
  /** Work stopped by shutdown before the message was done. */
  | { kind: "interrupted" };

export type Settlement =
  | { action: "delete" }
  /** Leave the message; it becomes visible again after `visibilitySeconds`. */
  | { action: "retry"; visibilitySeconds: number }
  /** Give the message back at once (shutdown), so another consumer can take it. */
  | { action: "release" }
  /** Send the message to the queue's dead-letter queue now, then delete it from the queue. */
  | { action: "dead-letter" };

export interface BackoffPolicy {
  initSeconds: number;
  maxSeconds: number;
}

/** SQS's ceiling for a visibility timeout. */
const MAX_VISIBILITY_SECONDS = 43_200;

export function retryDelaySeconds(receiveCount: number, policy: BackoffPolicy): number {
  return Math.min(backoffDelay(receiveCount, policy.initSeconds, policy.maxSeconds), MAX_VISIBILITY_SECONDS);
}

/**
 * What to do with a message. `deadLetterQueue`: the queue has a dead-letter queue s3beat can send
 * to (its RedrivePolicy was read); false when it has none, or when sending there just failed.
 */
export function settle(outcome: MessageOutcome, receiveCount: number, policy: BackoffPolicy, opts: { deadLetterQueue?: boolean } = {}): Settlement {
  switch (outcome.kind) {
    case "malformed":
    case "test-event":
      return { action: "delete" };
    case "interrupted":
      return { action: "release" };
    case "objects": {
      const retry = { action: "retry", visibilitySeconds: retryDelaySeconds(receiveCount, policy) } as const;
      if (outcome.objects.includes("failed")) return retry;
      if (outcome.objects.includes("poison")) return opts.deadLetterQueue ? { action: "dead-letter" } : retry;
      return { action: "delete" };
    }
  }
}
