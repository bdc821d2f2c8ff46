import PQueue from "p-queue";
import type { Logger } from "pino";
import { AwsAccess } from "./aws/access.ts";
import type { Settings } from "./config/settings.ts";
import { HeartbeatScheduler } from "./heartbeat/scheduler.ts";
import { createOutput } from "./outputs/index.ts";
import type { Output } from "./outputs/output.ts";
import { describeCause } from "./pipeline/errors.ts";
import { handleMessage, type MessageHandlerDeps, type QueueContext } from "./pipeline/messageHandler.ts";
import { newStats, statsDelta, type Stats } from "./pipeline/stats.ts";
import { decoderChooser } from "./reader/decoderChoice.ts";
import { S3ObjectGetter } from "./reader/objectSource.ts";
import { DeleteBatcher } from "./source/deleteBatcher.ts";
import { pollQueue, sleep } from "./source/poller.ts";
import { Slots } from "./source/slots.ts";
import { parseQueueEntry, queueDisplayName } from "./source/queueRef.ts";
import { SqsQueue, resolveQueueUrl } from "./source/sqsQueue.ts";
import { VERSION } from "./version.ts";

export interface DaemonOptions {
  log: Logger;
  /** Overrides the configured output (the demo counts events through it). */
  output?: Output;
}

/** After the grace period: how long aborted work and the output's flush may still take. */
const FORCED_STOP_MS = 5_000;

/** Thrown when the daemon cannot start (a queue that cannot be resolved, …): the message says what to fix. */
export class StartupError extends Error {
  override name = "StartupError";
}

/**
 * The running beat: one poller per queue feeding a shared pool of `maxMessagesInFlight` workers.
 * `stop()` is the graceful shutdown of DESIGN §6.
 */
export class Daemon {
  readonly stats: Stats = newStats();
  readonly #settings: Settings;
  readonly #log: Logger;
  readonly #output: Output;
  readonly #work: PQueue;
  /** Aborted to stop receiving. */
  readonly #receiving = new AbortController();
  /** Aborted when the grace period is over: in-flight work stops and its messages are released. */
  readonly #working = new AbortController();
  #pollers: Promise<void>[] = [];
  readonly #access: AwsAccess;
  #metricsTimer: NodeJS.Timeout | undefined;
  #heartbeats: HeartbeatScheduler | undefined;
  #stopping: Promise<void> | undefined;

  constructor(settings: Settings, opts: DaemonOptions) {
    this.#settings = settings;
    this.#log = opts.log;
    this.#output = opts.output ?? createOutput(settings.output, opts.log);
    this.#work = new PQueue({ concurrency: settings.s3beat.maxMessagesInFlight });
    this.#access = new AwsAccess(settings.s3beat, opts.log);
  }

  /** Resolves every queue, then starts polling. Throws StartupError when a queue cannot be used. */
  async start(): Promise<void> {
    const s = this.#settings.s3beat;
    const deps: MessageHandlerDeps = {
      decoderFor: decoderChooser(s.fileSelectors, s),
      output: this.#output,
      stats: this.stats,
      log: this.#log,
      version: VERSION,
      beatIdentifier: s.beatIdentifier,
      ...(s.keyInclude ? { keyInclude: s.keyInclude } : {}),
      ...(s.keyExclude ? { keyExclude: s.keyExclude } : {}),
      visibilityTimeoutSeconds: s.visibilityTimeoutSeconds,
      backoff: { initSeconds: s.retryBackoffInitSeconds, maxSeconds: s.retryBackoffMaxSeconds },
    };
    const queues: { ctx: QueueContext; sqs: SqsQueue }[] = [];
    for (const [index, entry] of s.sqsQueues.entries()) {
      const ref = parseQueueEntry(entry, s.region);
      const access = this.#access.forQueue(index, ref.region);
      let url: string;
      try {
        url = ref.kind === "url" ? ref.url : await resolveQueueUrl(access.sqs, ref.name, ref.region, access.caller);
      } catch (err) {
        throw new StartupError(`cannot use queue "${entry}": ${describeCause(err)}`, { cause: err });
      }
      const sqs = new SqsQueue(access.sqs, url, ref.region, access.caller);
      const objects = new S3ObjectGetter(access.s3For, access.caller);
      queues.push({ sqs, ctx: { name: queueDisplayName(ref), region: ref.region, settler: sqs, deleter: new DeleteBatcher(sqs), objects } });
    }

    this.#log.info(
      { version: VERSION, queues: queues.map((q) => q.sqs.url), output: this.#output.name, maxMessagesInFlight: s.maxMessagesInFlight },
      "s3beat started",
    );
    const slots = new Slots(this.#work);
    for (const q of queues) {
      this.#pollers.push(
        pollQueue(
          {
            queueName: q.ctx.name,
            receiver: q.sqs,
            work: this.#work,
            slots,
            waitTimeSeconds: s.waitTimeSeconds,
            visibilityTimeoutSeconds: s.visibilityTimeoutSeconds,
            handle: (msg) => handleMessage(msg, q.ctx, deps, this.#working.signal),
            release: async (msg) => {
              this.stats.messagesReleased++;
              await q.sqs.changeVisibility(msg.receiptHandle, 0).catch((err: unknown) =>
                this.#log.warn({ queue: q.ctx.name, messageId: msg.messageId, err: describeCause(err) }, "could not release a message received during shutdown; it reappears after its visibility timeout"),
              );
            },
            log: this.#log,
            onReceiveError: () => this.stats.receiveErrors++,
            onReceived: (n) => (this.stats.messagesReceived += n),
          },
          this.#receiving.signal,
          this.#working.signal,
        ),
      );
    }
    this.#startMetrics();
    if (!s.heartbeatDisabled) {
      this.#heartbeats = new HeartbeatScheduler(this.#output, { version: VERSION, identifier: s.beatIdentifier, intervalSeconds: s.heartbeatIntervalSeconds, log: this.#log });
      this.#heartbeats.start();
    }
  }

  /** Messages being worked on or waiting for a worker. */
  get inFlight(): number {
    return this.#work.pending + this.#work.size;
  }

  /**
   * Graceful shutdown: stop receiving; let in-flight messages finish for up to the grace period;
   * then abort the rest, releasing their messages (never deleting them); flush the output.
   */
  stop(reason = "stop requested"): Promise<void> {
    this.#stopping ??= this.#shutdown(reason);
    return this.#stopping;
  }

  async #shutdown(reason: string): Promise<void> {
    const graceMs = this.#settings.s3beat.shutdownGracePeriodSeconds * 1000;
    this.#log.info({ reason, inFlight: this.inFlight, gracePeriodSeconds: graceMs / 1000 }, "shutting down: no new messages will be received");
    const deadline = Date.now() + graceMs;
    const timers = new AbortController(); // so no sleep below outlives the shutdown
    try {
      this.#receiving.abort();
      // Receives in flight end within sqsWaitTime; what they return is released, not processed.
      const pollersDone = await Promise.race([Promise.allSettled(this.#pollers).then(() => true), sleep(graceMs, timers.signal).then(() => false)]);
      if (!pollersDone) this.#working.abort(new Error("shutdown grace period over"));
      this.#work.clear(); // queued, never started: those messages reappear after their visibility timeout
      const finished = await Promise.race([this.#work.onIdle().then(() => true), sleep(Math.max(0, deadline - Date.now()), timers.signal).then(() => false)]);
      if (!finished) {
        this.#log.warn({ inFlight: this.inFlight }, "grace period over: releasing unfinished messages for redelivery");
        this.#working.abort(new Error("shutdown grace period over"));
        // Aborting cannot interrupt everything (an output that never acknowledges, a stuck call):
        // give it a bounded moment, then stop anyway. Nothing unfinished was deleted.
        const settled = await Promise.race([this.#work.onIdle().then(() => true), sleep(FORCED_STOP_MS, timers.signal).then(() => false)]);
        if (!settled) this.#log.error({ inFlight: this.inFlight }, "some messages did not stop in time; they reappear after their visibility timeout");
      }
      // The last heartbeat (status 3) says the beat stopped on purpose.
      await this.#heartbeats?.stop(FORCED_STOP_MS);
      const closed = await Promise.race([
        this.#output.close().then(
          () => true,
          (err: unknown) => {
            this.#log.error({ err: describeCause(err) }, `output did not close cleanly: ${describeCause(err)}`);
            return true;
          },
        ),
        sleep(FORCED_STOP_MS, timers.signal).then(() => false),
      ]);
      if (!closed) this.#log.error(`output ${this.#output.name} did not flush within ${FORCED_STOP_MS / 1000}s`);
    } finally {
      timers.abort();
    }
    clearInterval(this.#metricsTimer);
    this.#access.destroy();
    this.#log.info({ stats: this.stats, maxRssBytes: process.resourceUsage().maxRSS * 1024 }, "s3beat stopped");
  }

  #startMetrics(): void {
    const periodMs = this.#settings.logging.metricsPeriodSeconds * 1000;
    if (periodMs <= 0) return;
    let prev = { ...this.stats };
    this.#metricsTimer = setInterval(() => {
      const delta = statsDelta(this.stats, prev);
      prev = { ...this.stats };
      if (Object.keys(delta).length === 0) return;
      const m = process.memoryUsage();
      this.#log.info(
        { delta, inFlight: this.inFlight, memory: { rssBytes: m.rss, heapTotalBytes: m.heapTotal, heapUsedBytes: m.heapUsed, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers } },
        `non-zero metrics in the last ${periodMs / 1000}s`,
      );
    }, periodMs);
    this.#metricsTimer.unref();
  }
}
