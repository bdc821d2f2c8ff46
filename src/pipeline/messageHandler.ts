import type { Logger } from "pino";
import type { ObjectGetter } from "../reader/objectSource.ts";
import type { DeleteBatcher } from "../source/deleteBatcher.ts";
import { parseNotification } from "../source/notification.ts";
import type { MessageSettler, ReceivedMessage } from "../source/sqsQueue.ts";
import type { QueueMetrics } from "../telemetry/metrics.ts";
import { extensionDelayMs } from "./visibility.ts";
import { settle, type BackoffPolicy, type MessageOutcome, type ObjectOutcome } from "./decision.ts";
import { describeCause, errorFields, type WorkContext } from "./errors.ts";
import { processObject, type ObjectProcessorDeps } from "./objectProcessor.ts";

/** Everything one queue's messages are handled with; the S3 getter uses that queue's credentials. */
export interface QueueContext {
  name: string;
  region: string;
  settler: MessageSettler;
  deleter: DeleteBatcher;
  objects: ObjectGetter;
  metrics: QueueMetrics;
}

export interface MessageHandlerDeps extends Omit<ObjectProcessorDeps, "objects" | "metrics"> {
  visibilityTimeoutSeconds: number;
  /** The visibility the receive asked for (see receiveVisibilitySeconds). */
  receiveVisibilitySeconds: number;
  backoff: BackoffPolicy;
}

/**
 * Handles one message from receipt to settlement: extends its visibility while it works, reads
 * every object it names, then deletes it, schedules a retry, or releases it (shutdown).
 */
export async function handleMessage(msg: ReceivedMessage, queue: QueueContext, deps: MessageHandlerDeps, signal: AbortSignal): Promise<void> {
  const ctx: WorkContext = { queue: queue.name, messageId: msg.messageId };
  const log = deps.log.child(ctx);
  queue.metrics.inFlight(1);
  try {
    const stopExtending = extendVisibilityWhileBusy(msg, queue, deps, log);
    let outcome: MessageOutcome;
    try {
      outcome = await work(msg, queue, deps, ctx, log, signal);
    } finally {
      // An extension still in flight could land after the settlement and undo a release or a backoff.
      await stopExtending();
    }
    await apply(outcome, msg, queue, log, deps.backoff);
  } finally {
    queue.metrics.inFlight(-1);
  }
}

async function work(msg: ReceivedMessage, queue: QueueContext, deps: MessageHandlerDeps, ctx: WorkContext, log: Logger, signal: AbortSignal): Promise<MessageOutcome> {
  const parsed = parseNotification(msg.body, queue.region);
  if (parsed.kind === "malformed") {
    queue.metrics.malformed();
    log.error({ bodyExcerpt: msg.body.slice(0, 300) }, `malformed notification deleted: ${parsed.reason}`);
    return { kind: "malformed" };
  }
  if (parsed.kind === "test-event") {
    queue.metrics.testEvent();
    log.info({ bucket: parsed.bucket }, "s3:TestEvent received (S3 checks the notification setup); deleted");
    return { kind: "test-event" };
  }
  if (parsed.problems) log.error({ problems: parsed.problems }, `notification has unusable records, skipped: ${parsed.problems.join("; ")}`);
  const outcomes: ObjectOutcome[] = [];
  for (const ref of parsed.objects) {
    if (signal.aborted) return { kind: "interrupted" };
    try {
      outcomes.push(await processObject(ref, ctx, { ...deps, objects: queue.objects, metrics: queue.metrics }, signal));
    } catch (err) {
      if (signal.aborted) return { kind: "interrupted" };
      queue.metrics.object("failed");
      log.error({ bucket: ref.bucket, key: ref.key, ...errorFields(err) }, describeCause(err));
      // The rest of the message will be read again on retry; stop here rather than duplicate more.
      outcomes.push("failed");
      break;
    }
  }
  return { kind: "objects", objects: outcomes };
}

async function apply(outcome: MessageOutcome, msg: ReceivedMessage, queue: QueueContext, log: Logger, backoff: BackoffPolicy): Promise<void> {
  const decision = settle(outcome, msg.receiveCount, backoff);
  try {
    switch (decision.action) {
      case "delete":
        await queue.deleter.delete(msg.receiptHandle);
        queue.metrics.deleted();
        log.debug("message deleted");
        return;
      case "retry":
        queue.metrics.retried();
        log.warn(
          { receiveCount: msg.receiveCount, retryInSeconds: decision.visibilitySeconds },
          `message kept for retry in ${decision.visibilitySeconds}s (receive ${msg.receiveCount}; after the queue's maxReceiveCount it moves to the dead-letter queue)`,
        );
        await queue.settler.changeVisibility(msg.receiptHandle, decision.visibilitySeconds);
        return;
      case "release":
        await queue.settler.changeVisibility(msg.receiptHandle, 0);
        queue.metrics.released(msg.messageId);
        log.info("shutdown: message released for redelivery");
        return;
    }
  } catch (err) {
    // Not fatal for delivery: an undeleted message comes back after its visibility timeout (a duplicate, never a loss).
    if (decision.action === "release") queue.metrics.releaseFailed();
    log.error(errorFields(err), `could not ${decision.action} message: ${describeCause(err)}`);
  }
}

/**
 * Keeps the message hidden while it is worked on, so a long object is not handed to another
 * consumer midway: the first extension comes before the receive's short visibility runs out, the
 * next ones every half `visibilityTimeout`, each asking for the whole `visibilityTimeout`.
 */
function extendVisibilityWhileBusy(
  msg: ReceivedMessage,
  queue: Pick<QueueContext, "settler" | "metrics">,
  timing: { visibilityTimeoutSeconds: number; receiveVisibilitySeconds: number },
  log: Logger,
): () => Promise<void> {
  const timeoutSeconds = timing.visibilityTimeoutSeconds;
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (n: number) => {
    timer = setTimeout(() => {
      inFlight = queue.settler.changeVisibility(msg.receiptHandle, timeoutSeconds).then(
        () => {
          queue.metrics.visibilityExtended(true);
          log.debug({ timeoutSeconds }, "visibility extended");
        },
        (err: unknown) => {
          queue.metrics.visibilityExtended(false);
          log.warn(errorFields(err), `could not extend visibility timeout: ${describeCause(err)}`);
        },
      );
      if (!stopped) schedule(n + 1);
    }, extensionDelayMs(n, timing));
    timer.unref();
  };
  schedule(0);
  return () => {
    stopped = true;
    clearTimeout(timer);
    return inFlight;
  };
}
