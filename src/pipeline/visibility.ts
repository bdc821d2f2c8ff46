/**
 * How long messages stay hidden. A receive asks for a short visibility, so that messages SQS hands
 * to a receive that is then aborted (an idle daemon stopping) come back soon; the handler extends it
 * to the full `visibilityTimeout` before it runs out.
 */

/** The most a receive asks for; below `visibilityTimeout` when that is longer. */
export const RECEIVE_VISIBILITY_MAX_SECONDS = 30;

export function receiveVisibilitySeconds(visibilityTimeoutSeconds: number): number {
  return Math.min(visibilityTimeoutSeconds, RECEIVE_VISIBILITY_MAX_SECONDS);
}

/** Delay before extension `n` (0-based): the first at half the receive's visibility, then every half timeout. */
export function extensionDelayMs(n: number, t: { visibilityTimeoutSeconds: number; receiveVisibilitySeconds: number }): number {
  return ((n === 0 ? t.receiveVisibilitySeconds : t.visibilityTimeoutSeconds) * 1000) / 2;
}
