import type { Logger } from "pino";
import type PQueue from "p-queue";
import type { Slots } from "./slots.ts";
import { describeCause } from "../pipeline/errors.ts";
import type { MessageReceiver, ReceivedMessage } from "./sqsQueue.ts";

export interface PollerOptions {
  queueName: string;
  receiver: MessageReceiver;
  /** Shared by every queue of the process: its concurrency is maxMessagesInFlight. */
  work: PQueue;
  /** The work queue's free slots, shared by every poller. */
  slots: Slots;
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  handle: (msg: ReceivedMessage) => Promise<void>;
  /** Gives a message back at once (visibility 0): used for messages a receive returns after stop. */
  release: (msg: ReceivedMessage) => Promise<void>;
  log: Logger;
  onReceiveError?: () => void;
  onReceived?: (n: number) => void;
}

/**
 * Long-polls one queue until `signal` aborts. Each receive asks for at most the number of idle
 * workers (≤ 10), so messages never wait, invisible, in a local buffer.
 *
 * Stopping does not abort a receive in flight: SQS may already have handed messages to it, and an
 * aborted connection would hide them for a whole visibility timeout. The receive ends by itself
 * within the wait time and what it returns is released at once. Only `hardStop` (the shutdown
 * grace period is over) aborts it.
 */
export async function pollQueue(opts: PollerOptions, signal: AbortSignal, hardStop: AbortSignal): Promise<void> {
  let errorDelayMs = 1000;
  while (!signal.aborted) {
    const asked = opts.slots.reserve();
    if (asked === 0) {
      await opts.slots.wait(signal);
      continue;
    }
    let messages: ReceivedMessage[];
    try {
      messages = await opts.receiver.receive(asked, opts.waitTimeSeconds, opts.visibilityTimeoutSeconds, hardStop);
      errorDelayMs = 1000;
    } catch (err) {
      opts.slots.unreserve(asked);
      if (signal.aborted) return;
      opts.onReceiveError?.();
      opts.log.error({ queue: opts.queueName, err: describeCause(err), retryInMs: errorDelayMs }, `ReceiveMessage failed on ${opts.queueName}: ${describeCause(err)}`);
      await sleep(errorDelayMs, signal);
      errorDelayMs = Math.min(errorDelayMs * 2, 30_000);
      continue;
    }
    if (messages.length > 0) opts.onReceived?.(messages.length);
    if (signal.aborted) {
      opts.slots.unreserve(asked);
      await Promise.allSettled(messages.map((m) => opts.release(m)));
      return;
    }
    for (const msg of messages) {
      // Errors are handled inside handle(); the catch only guards against a bug escaping.
      void opts.work.add(() => opts.handle(msg)).catch((err: unknown) => {
        // clear() at shutdown rejects queued, never-started tasks: their messages simply reappear.
        if ((err as Error)?.name !== "AbortError") opts.log.error({ err }, "message handler crashed");
      });
    }
    // Only now: the queued messages hold their slots themselves.
    opts.slots.unreserve(asked);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
