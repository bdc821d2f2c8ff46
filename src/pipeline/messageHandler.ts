import type { Logger } from "pino";
import type { ObjectGetter } from "../objects/s3Objects.ts";
import { parseNotification } from "../sqs/notification.ts";
import type { MessageSettler } from "../sqs/settler.ts";
import type { DeadLetterQueue, DeadLetterSender, ReceivedMessage } from "../sqs/sqsQueue.ts";
import type { QueueMetrics } from "../telemetry/metrics.ts";
import { extendVisibilityWhileBusy } from "./visibility.ts";
import { settle, type BackoffPolicy, type MessageOutcome, type ObjectOutcome } from "./decision.ts";
import { ObjectError, type Poison, type WorkContext } from "./errors.ts";
import { describeCause, errorFields, isDenied } from "../aws/sdkErrors.ts";
import type { ObjectRef } from "../events/event.ts";
import { processObject, type ObjectProcessorDeps } from "./objectProcessor.ts";

/** Everything one queue's messages are handled with; the S3 getter uses that queue's credentials. */
export interface QueueContext {
  name: string;
  region: string;
  /** Deletes (batched) and visibility changes: every settlement and extension of the queue's messages. */
  settler: MessageSettler;
  objects: ObjectGetter;
  metrics: QueueMetrics;
  /** How poison messages reach the queue's dead-letter queue; without it they are retried. */
  deadLetter?: DeadLetterRoute;
}

/** A queue's way to its dead-letter queue (decision.ts says when it is taken). */
export interface DeadLetterRoute {
  /** The queue's ARN, named in the attributes of a message it sends there. */
  queueArn: string;
  /** The dead-letter queue of the queue's RedrivePolicy (cached per queue), undefined when it has none. */
  lookup: { find(signal?: AbortSignal): Promise<(DeadLetterQueue & { maxReceiveCount?: number }) | undefined> };
  sender: DeadLetterSender;
}

/** A poison object of a message, logged once the message's fate is known. */
interface PoisonedObject {
  ref: ObjectRef;
  poison: Poison;
  error: ObjectError;
}

/** Where a message with poison objects can go: its dead-letter queue, or why not. */
interface DeadLetterFind {
  dlq?: DeadLetterQueue & { maxReceiveCount?: number };
  /** Why it could not be looked up. */
  problem?: string;
}

export interface MessageHandlerDeps extends Omit<ObjectProcessorDeps, "objects" | "metrics"> {
  visibilityTimeoutSeconds: number;
  /** The visibility the receive asked for (see receiveVisibilitySeconds). */
  receiveVisibilitySeconds: number;
  backoff: BackoffPolicy;
}

/**
 * Handles one message from receipt to settlement: extends its visibility while it works, reads
 * every object it names, then deletes it, schedules a retry, releases it (shutdown), or, when an
 * object is poison and the queue has a dead-letter queue, moves it there at once (decision.ts).
 */
export async function handleMessage(msg: ReceivedMessage, queue: QueueContext, deps: MessageHandlerDeps, signal: AbortSignal): Promise<void> {
  const ctx: WorkContext = { queue: queue.name, messageId: msg.messageId };
  const log = deps.log.child(ctx);
  queue.metrics.inFlight(1);
  try {
    const stopExtending = extendVisibilityWhileBusy(msg, queue, deps, log);
    let outcome: MessageOutcome;
    const poisoned: PoisonedObject[] = [];
    let route: DeadLetterFind = {};
    try {
      outcome = await work(msg, queue, deps, ctx, log, signal, poisoned);
      // Looked up only for poison (cached per queue), while the message is still kept hidden.
      if (poisoned.length > 0 && outcome.kind === "objects" && !outcome.objects.includes("failed")) {
        route = await findDeadLetter(queue, signal);
        if (signal.aborted) outcome = { kind: "interrupted" };
      }
    } finally {
      // An extension still in flight could land after the settlement and undo a release or a backoff.
      await stopExtending();
    }
    if (poisoned.length > 0 && outcome.kind === "objects") await applyPoison(outcome, poisoned, route, msg, queue, log, deps.backoff);
    else await apply(outcome, msg, queue, log, deps.backoff);
  } finally {
    queue.metrics.inFlight(-1);
  }
}

async function work(
  msg: ReceivedMessage,
  queue: QueueContext,
  deps: MessageHandlerDeps,
  ctx: WorkContext,
  log: Logger,
  signal: AbortSignal,
  poisoned: PoisonedObject[],
): Promise<MessageOutcome> {
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
      if (err instanceof ObjectError && err.poison) {
        // Logged once, with the message's fate, when it is settled. The next objects are
        // independent: read them now, as a dead-lettered message is not read again.
        queue.metrics.object("poison");
        poisoned.push({ ref, poison: err.poison, error: err });
        outcomes.push("poison");
        continue;
      }
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
        await queue.settler.delete(msg.receiptHandle);
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

async function findDeadLetter(queue: QueueContext, signal: AbortSignal): Promise<DeadLetterFind> {
  if (!queue.deadLetter) return {};
  try {
    return { dlq: await queue.deadLetter.lookup.find(signal) };
  } catch (err) {
    return { problem: describeCause(err) };
  }
}

/** SQS's limit on a message attribute's value is the message's 256 KiB; reasons are kept short anyway. */
const MAX_REASON_CHARS = 1024;

/**
 * Settles a message with poison objects (decision.ts): to the dead-letter queue at once when the
 * queue has one, else retried with backoff. SendMessage comes first and the delete only after it
 * succeeded, so the message is never gone from both queues. Each poison object is logged once,
 * with what is wrong and what happened to the message.
 */
async function applyPoison(
  outcome: Extract<MessageOutcome, { kind: "objects" }>,
  poisoned: PoisonedObject[],
  route: DeadLetterFind,
  msg: ReceivedMessage,
  queue: QueueContext,
  log: Logger,
  backoff: BackoffPolicy,
): Promise<void> {
  const decision = settle(outcome, msg.receiveCount, backoff, { deadLetterQueue: route.dlq !== undefined });
  const report = (fate: string, fields: Record<string, unknown> = {}) => {
    for (const p of poisoned) {
      log.error(
        {
          bucket: p.ref.bucket,
          key: p.ref.key,
          offset: p.poison.offset,
          events: p.poison.events,
          receiveCount: msg.receiveCount,
          ...errorFields(p.error.cause),
          ...fields,
        },
        `poison object s3://${p.ref.bucket}/${p.ref.key} at byte ${p.poison.offset}: ${p.poison.reason}; the ${p.poison.events} events before it were shipped. ${fate}`,
      );
    }
  };
  const retry = async (why: string) => {
    const seconds = settle(outcome, msg.receiveCount, backoff, { deadLetterQueue: false });
    const delay = seconds.action === "retry" ? seconds.visibilitySeconds : 0;
    queue.metrics.retried();
    report(`${why} The message is kept for retry in ${delay}s (receive ${msg.receiveCount}).`, { action: "retry", retryInSeconds: delay });
    try {
      await queue.settler.changeVisibility(msg.receiptHandle, delay);
    } catch (err) {
      log.error(errorFields(err), `could not set the retry backoff of the message: ${describeCause(err)}; it comes back after its visibility timeout`);
    }
  };

  if (decision.action === "retry") {
    if (outcome.objects.includes("failed")) {
      return retry("Another object of the message failed (see its line), so the message is retried as a whole; each receive ships these events again.");
    }
    if (route.problem !== undefined) {
      return retry(
        `The queue's dead-letter queue could not be looked up (${route.problem}), so it cannot be moved there now: it is retried until the queue's maxReceiveCount moves it there, and each receive ships these events again.`,
      );
    }
    return retry(
      "The queue has no dead-letter queue (no usable RedrivePolicy), so it is retried like any failure until the queue's message retention period ends, and each receive ships these events again. Fix: give the queue a dead-letter queue (a RedrivePolicy).",
    );
  }
  if (decision.action !== "dead-letter" || !route.dlq || !queue.deadLetter) return apply(outcome, msg, queue, log, backoff);

  const dlq = route.dlq;
  const reason = poisoned.map((p) => `poison object s3://${p.ref.bucket}/${p.ref.key} at byte ${p.poison.offset}: ${p.poison.reason}`).join("; ");
  try {
    await queue.deadLetter.sender.sendToDeadLetter(
      dlq,
      msg.body,
      {
        "s3beat.reason": reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason,
        "s3beat.sourceQueue": queue.deadLetter.queueArn,
        "s3beat.originalMessageId": msg.messageId,
      },
      msg.messageId,
    );
  } catch (err) {
    const denied = isDenied(err);
    const until = dlq.maxReceiveCount ? `the queue's maxReceiveCount (${dlq.maxReceiveCount})` : "the queue's maxReceiveCount";
    const cause = describeCause(err).replace(/\.$/, "");
    return retry(
      `It could not be sent to the dead-letter queue ${dlq.arn}: ${cause}.` +
        (denied ? ` s3beat needs the permission sqs:SendMessage on ${dlq.arn} to move poison messages there at once.` : "") +
        ` It is retried until ${until} moves it there, and each receive ships these events again.`,
    );
  }
  try {
    await queue.settler.delete(msg.receiptHandle);
  } catch (err) {
    report(
      `The message was sent to the dead-letter queue ${dlq.arn}, but could not be deleted from the queue (${describeCause(err)}): it comes back after its visibility timeout and is dead-lettered again (a duplicate there).`,
      { action: "dead-letter", deadLetterQueue: dlq.arn },
    );
    return;
  }
  report(
    `Reading it again cannot succeed, so the message was moved to the dead-letter queue ${dlq.arn} at once (not retried). Fix or replace the object, then redrive the message.`,
    {
      action: "dead-letter",
      deadLetterQueue: dlq.arn,
    },
  );
}
