import type { Logger } from "pino";
import { describeCause, errorFields } from "../aws/sdkErrors.ts";
import type { MessageSettler } from "../sqs/settler.ts";
import type { ReceivedMessage } from "../sqs/sqsQueue.ts";
import type { QueueMetrics } from "../telemetry/metrics.ts";

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

/**
 * Keeps the message hidden while it is worked on, so a long object is not handed to another
 * consumer midway: the first extension comes before the receive's short visibility runs out, the
 * next ones every half `visibilityTimeout`, each asking for the whole `visibilityTimeout`.
 */
export function extendVisibilityWhileBusy(
  msg: ReceivedMessage,
  queue: { settler: Pick<MessageSettler, "changeVisibility">; metrics: Pick<QueueMetrics, "visibilityExtended"> },
  timing: { visibilityTimeoutSeconds: number; receiveVisibilitySeconds: number },
  log: Logger,
): () => Promise<void> {
  const timeoutSeconds = timing.visibilityTimeoutSeconds;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (n: number) => {
    timer = setTimeout(
      () => {
        inFlight = queue.settler.changeVisibility(msg.receiptHandle, timeoutSeconds).then(
          () => {
            queue.metrics.visibilityExtended(true);
            log.debug({ timeoutSeconds }, "visibility extended");
          },
          (err: unknown) => {
            queue.metrics.visibilityExtended(false);
            if (receiptHandleGone(err)) {
              // SQS no longer knows this receipt (the message went back to the queue or was taken
              // again): later extensions would all fail the same way, so stop instead of warning forever.
              stopped = true;
              clearTimeout(timer);
              log.warn(
                errorFields(err),
                `stopped extending the visibility timeout: the receipt handle is no longer valid (${describeCause(err)}); the message may be handed out again`,
              );
              return;
            }
            log.warn(errorFields(err), `could not extend visibility timeout: ${describeCause(err)}`);
          },
        );
        if (!stopped) schedule(n + 1);
      },
      extensionDelayMs(n, timing),
    );
    timer.unref();
  };
  schedule(0);
  return () => {
    stopped = true;
    clearTimeout(timer);
    return inFlight;
  };
}

/** SQS's answers for a receipt handle it no longer accepts (the message is not in flight under it). */
export function receiptHandleGone(err: unknown): boolean {
  const { name, Code, message } = (err ?? {}) as { name?: string; Code?: string; message?: string };
  const code = Code ?? name ?? "";
  if (
    code === "ReceiptHandleIsInvalid" ||
    code === "AWS.SimpleQueueService.ReceiptHandleIsInvalid" ||
    code === "MessageNotInflight" ||
    code === "AWS.SimpleQueueService.MessageNotInflight"
  )
    return true;
  return code === "InvalidParameterValue" && /receipt handle|not available for visibility timeout change|does not exist/i.test(message ?? "");
}
