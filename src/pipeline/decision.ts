/**
 * The one place that decides what happens to an SQS message once its work is over. Pure, so the
 * at-least-once rules are table-tested: delete only when every object is accounted for.
 */

/** How one object named by a message ended. */
export type ObjectOutcome = "delivered" | "filtered" | "not-found" | "failed";

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
  | { action: "release" };

export interface BackoffPolicy {
  initSeconds: number;
  maxSeconds: number;
}

/** SQS's ceiling for a visibility timeout. */
const MAX_VISIBILITY_SECONDS = 43_200;

export function retryDelaySeconds(receiveCount: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, Math.min(receiveCount - 1, 30));
  return Math.min(policy.initSeconds * 2 ** exponent, policy.maxSeconds, MAX_VISIBILITY_SECONDS);
}

export function settle(outcome: MessageOutcome, receiveCount: number, policy: BackoffPolicy): Settlement {
  switch (outcome.kind) {
    case "malformed":
    case "test-event":
      return { action: "delete" };
    case "interrupted":
      return { action: "release" };
    case "objects":
      return outcome.objects.includes("failed")
        ? { action: "retry", visibilitySeconds: retryDelaySeconds(receiveCount, policy) }
        : { action: "delete" };
  }
}
