import type { Logger } from "pino";
import type { Slots } from "./slots.ts";
import { describeCause, errorFields } from "../aws/sdkErrors.ts";
import type { LoopHealth } from "../telemetry/health.ts";
import type { MessageReceiver, ReceivedMessage } from "./sqsQueue.ts";
import { sleep } from "../util/abort.ts";

export interface PollerOptions {
  queueName: string;
  /** Receives with the queue's long-poll wait and short receive visibility (see ReceiveOptions). */
  receiver: MessageReceiver;
  /** The workers (maxMessagesInFlight), shared by every queue's poller. */
  slots: Slots;
  handle: (msg: ReceivedMessage) => Promise<void>;
  /** Gives a message back at once (visibility 0): used for messages a receive returns after stop. */
  release: (msg: ReceivedMessage) => Promise<void>;
  log: Logger;
  /** Told of every receive: its duration, what it returned or how it failed. */
  observer?: ReceiveObserver;
  /** Told where the loop is, so that a wedged loop shows on /healthz. */
  loopHealth?: LoopHealth;
}

export interface ReceiveObserver {
  received(messages: readonly ReceivedMessage[], durationSeconds: number): void;
  /** `reason` is the logged message. */
  failed(reason: string, durationSeconds: number): void;
}

/**
 * Long-polls one queue until `signal` aborts. Each receive asks for at most the number of idle
 * workers (≤ 10), so messages never wait, invisible, in a local buffer.
 *
 * `signal` ends the loop; `receiveSignal` aborts a receive in flight (the daemon aborts it at once
 * when idle, so it stops at once). Messages SQS had already handed to an aborted receive stay
 * hidden until their visibility timeout: a delay, never a loss. That is why a receive asks for a
 * short visibility (ReceiveOptions) that the message handler extends once it works on a message. What a receive returns after `signal` is released at once.
 */
export async function pollQueue(opts: PollerOptions, signal: AbortSignal, receiveSignal: AbortSignal = signal): Promise<void> {
  let errorDelayMs = 1000;
  const health = opts.loopHealth;
  try {
    await loop();
  } finally {
    health?.enter("stopped");
  }

  async function loop(): Promise<void> {
    while (!signal.aborted) {
      const asked = opts.slots.reserve();
      if (asked === 0) {
        health?.enter("waiting-for-worker");
        await opts.slots.wait(signal);
        continue;
      }
      let messages: ReceivedMessage[];
      health?.enter("receiving");
      const started = performance.now();
      try {
        messages = await opts.receiver.receive(asked, receiveSignal);
        errorDelayMs = 1000;
      } catch (err) {
        opts.slots.unreserve(asked);
        if (signal.aborted) return;
        const reason = `ReceiveMessage failed on ${opts.queueName}: ${describeCause(err)}`;
        opts.observer?.failed(reason, (performance.now() - started) / 1000);
        opts.log.error({ queue: opts.queueName, ...errorFields(err), retryInMs: errorDelayMs }, reason);
        health?.enter("backing-off");
        await sleep(errorDelayMs, signal);
        errorDelayMs = Math.min(errorDelayMs * 2, 30_000);
        continue;
      }
      opts.observer?.received(messages, (performance.now() - started) / 1000);
      if (signal.aborted) {
        opts.slots.unreserve(asked);
        await Promise.allSettled(messages.map((m) => opts.release(m)));
        return;
      }
      for (const msg of messages) {
        // Errors are handled inside handle(); the catch only guards against a bug escaping.
        void opts.slots
          .add(() => opts.handle(msg))
          .catch((err: unknown) => {
            // clear() at shutdown rejects queued, never-started tasks: their messages simply reappear.
            if ((err as Error)?.name !== "AbortError") opts.log.error({ error: err }, "message handler crashed");
          });
      }
      // Only now: the queued messages hold their slots themselves.
      opts.slots.unreserve(asked);
    }
  }
}
