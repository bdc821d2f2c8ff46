// Over 300 lines: the composition root (start, the poll loops per queue, graceful stop, the stop summary); each part is small and calls into its own module.
import type { Logger } from "pino";
import { AwsAccess } from "./aws/access.ts";
import type { Settings } from "./config/settings.ts";
import { HeartbeatScheduler } from "./heartbeat/scheduler.ts";
import { HttpEndpoint } from "./http/server.ts";
import { createOutput, MeteredOutput } from "./outputs/index.ts";
import type { Output, OutputObserver } from "./outputs/output.ts";
import { describeCause, errorFields } from "./aws/sdkErrors.ts";
import { handleMessage, type MessageHandlerDeps, type QueueContext } from "./pipeline/messageHandler.ts";
import { ByteBudget } from "./pipeline/budget.ts";
import { Permits } from "./pipeline/permits.ts";
import { receiveVisibilitySeconds } from "./pipeline/visibility.ts";
import { decoderChooser } from "./objects/decoderChoice.ts";
import { S3ObjectGetter } from "./objects/s3Objects.ts";
import { BacklogReader, DeadLetterLookup, type Backlog } from "./sqs/backlog.ts";
import { pollQueue } from "./sqs/poller.ts";
import { sleep } from "./util/abort.ts";
import { queueSettler } from "./sqs/settler.ts";
import { Slots } from "./sqs/slots.ts";
import { parseQueueEntry, queueDisplayName } from "./config/queueEntry.ts";
import { explainQueueProblem, queueProblemKind } from "./sqs/queueProblems.ts";
import { SqsQueue, resolveQueueUrl, type MessageReceiver } from "./sqs/sqsQueue.ts";
import { Health, receiveStallLimitMs, type PartState } from "./telemetry/health.ts";
import { Metrics } from "./telemetry/metrics.ts";
import type { Stats } from "./telemetry/stats.ts";
import { summarize } from "./telemetry/summary.ts";
import { VERSION } from "./version.ts";
import { definedOnly } from "./util/optional.ts";

interface OpenedQueue {
  ctx: QueueContext;
  sqs: SqsQueue;
  receiver: MessageReceiver;
}

interface QueueFailure {
  index: number;
  entry: string;
  name: string;
  error: unknown;
  /** The operator-facing explanation (causes and the check command). */
  message: string;
}

export interface DaemonOptions {
  log: Logger;
  /** Overrides the configured output (the demo counts events through it). */
  output?: Output;
  /** The config file's schema version, shown by the HTTP endpoint's `/`. */
  configVersion?: number;
  /** Tests: wraps each queue's receiver (to make one hang or fail). */
  wrapReceiver?: (receiver: MessageReceiver, queueName: string) => MessageReceiver;
  /** How the operator runs the access verifier, named in start errors (e.g. `s3beat check -c FILE`). */
  checkCommand?: string;
  /** Tests: how long a receive may take before /healthz calls the loop wedged (default from sqsWaitTime). */
  receiveStallMs?: number;
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
  readonly metrics: Metrics = new Metrics({ version: VERSION });
  readonly health: Health;
  readonly #settings: Settings;
  readonly #log: Logger;
  readonly #output: Output;
  readonly #slots: Slots;
  /** Aborted to stop receiving: no new receive starts. */
  readonly #receiving = new AbortController();
  /**
   * Aborts receives in flight. Separate from #receiving: while messages are being released at the
   * end of a busy stop, a receive still open on the server would take them; kept open, it returns
   * them and they are released again, where an aborted one would hide them for its visibility.
   */
  readonly #receiveAbort = new AbortController();
  /** Aborted when the grace period is over: in-flight work stops and its messages are released. */
  readonly #working = new AbortController();
  #pollers: Promise<void>[] = [];
  readonly #access: AwsAccess;
  #metricsTimer: NodeJS.Timeout | undefined;
  #heartbeats: HeartbeatScheduler | undefined;
  #stopping: Promise<void> | undefined;
  readonly #opts: DaemonOptions;
  #http: HttpEndpoint | undefined;
  readonly #startedAt = Date.now();
  #queueNames: string[] = [];
  readonly #backlogs: { name: string; reader: BacklogReader }[] = [];
  readonly #lastBacklog = new Map<string, { queue: Backlog; deadLetter?: Backlog }>();

  constructor(settings: Settings, opts: DaemonOptions) {
    this.#settings = settings;
    this.#log = opts.log;
    this.#opts = opts;
    this.health = new Health({ receiveStallMs: opts.receiveStallMs ?? receiveStallLimitMs(settings.s3beat.waitTimeSeconds) });
    const observer = this.#outputObserver(opts.output?.name ?? settings.output.kind);
    this.#output = opts.output ? new MeteredOutput(opts.output, observer) : createOutput(settings.output, opts.log, observer);
    this.#slots = new Slots(settings.s3beat.maxMessagesInFlight);
    this.#access = new AwsAccess(settings.s3beat, opts.log, this.#roleObserver());
  }

  /** Process totals: what the summary line logs, and what the demo and tests wait on. */
  get stats(): Stats {
    return this.metrics.stats;
  }

  /** The HTTP endpoint's address once listening (tests bind port 0). */
  get httpAddress(): { host: string; port: number } | undefined {
    return this.#httpAddress;
  }
  #httpAddress: { host: string; port: number } | undefined;

  /**
   * Resolves every queue, then polls the ones that can be used. A queue that cannot be used is
   * reported (all of them, each with its likely causes) and retried with backoff while the others
   * run; /readyz names it. Throws StartupError only when no queue can be used and none failed for a
   * reason that may pass (a network error).
   */
  async start(): Promise<void> {
    const s = this.#settings.s3beat;
    await this.#startHttp();
    this.#deps = {
      decoderFor: decoderChooser(s.fileSelectors, s),
      output: this.#output,
      log: this.#log,
      version: VERSION,
      beatIdentifier: s.beatIdentifier,
      ...definedOnly({ keyInclude: s.keyInclude, keyExclude: s.keyExclude }),
      visibilityTimeoutSeconds: s.visibilityTimeoutSeconds,
      receiveVisibilitySeconds: receiveVisibilitySeconds(s.visibilityTimeoutSeconds),
      backoff: { initSeconds: s.retryBackoffInitSeconds, maxSeconds: s.retryBackoffMaxSeconds },
      maxObjectBytes: s.maxObjectBytes,
      maxCompressionRatio: s.maxCompressionRatio,
      budget: new ByteBudget(),
      largeObjects: new Permits(s.maxLargeObjectsInFlight),
    };
    const attempts = await Promise.all(s.sqsQueues.map((entry, index) => this.#openQueue(index, entry)));
    const failed = attempts.filter((a): a is QueueFailure => "error" in a);
    for (const f of failed) this.#log.error({ queue: f.name, ...errorFields(f.error) }, f.message);
    const opened = attempts.filter((a): a is OpenedQueue => !("error" in a));
    if (opened.length === 0 && failed.every((f) => queueProblemKind(f.error) !== "network")) {
      const list = failed.map((f) => `- ${f.message}`).join("\n");
      throw new StartupError(`no queue can be used (${failed.length} of ${failed.length} failed):\n${list}`);
    }
    if (this.#receiving.signal.aborted) return; // stopped while starting: poll nothing

    this.#log.info(
      {
        version: VERSION,
        queues: opened.map((q) => q.sqs.url),
        waiting: failed.map((f) => f.name),
        output: this.#output.name,
        maxMessagesInFlight: s.maxMessagesInFlight,
      },
      failed.length === 0 ? "s3beat started" : `s3beat started on ${opened.length} of ${s.sqsQueues.length} queues; retrying the others`,
    );
    for (const q of opened) this.#poll(q);
    for (const f of failed) this.#pollers.push(this.#retryQueue(f));
    this.#startMetrics();
    if (!s.heartbeatDisabled) {
      this.#heartbeats = new HeartbeatScheduler(this.#output, {
        version: VERSION,
        identifier: s.beatIdentifier,
        intervalSeconds: s.heartbeatIntervalSeconds,
        log: this.#log,
      });
      this.#heartbeats.start();
    }
  }

  #deps: MessageHandlerDeps | undefined;

  /** Resolves one queue's URL with its credentials; a failure comes back explained, not thrown. */
  async #openQueue(index: number, entry: string): Promise<OpenedQueue | QueueFailure> {
    const s = this.#settings.s3beat;
    const ref = parseQueueEntry(entry, s.region);
    const name = queueDisplayName(ref);
    const access = this.#access.forQueue(index, ref.region);
    let url: string;
    try {
      url = ref.kind === "url" ? ref.url : await resolveQueueUrl(access.sqs, ref.name, ref.region, access.caller, this.#receiving.signal);
    } catch (err) {
      const message = explainQueueProblem(err, {
        entry,
        region: ref.region,
        endpoint: s.endpoints.sqs ?? `https://sqs.${ref.region}.amazonaws.com`,
        principal: access.roleArn ? `role ${access.roleArn}` : s.awsFlag ? "the AWS default credential chain" : "the base IAM user's keys",
        checkCommand: this.#opts.checkCommand ?? "s3beat check",
      });
      this.health.set(`queue ${name}`, false, message);
      return { index, entry, name, error: err, message };
    }
    this.health.set(`queue ${name}`, true);
    const sqs = new SqsQueue(access.sqs, url, ref.region, access.caller, {
      waitTimeSeconds: s.waitTimeSeconds,
      visibilitySeconds: receiveVisibilitySeconds(s.visibilityTimeoutSeconds),
    });
    const objects = new S3ObjectGetter(access.s3For, access.caller);
    const receiver = this.#opts.wrapReceiver?.(sqs, name) ?? sqs;
    this.#backlogs.push({ name, reader: new BacklogReader(access.sqs, access.caller, url, ref.region) });
    this.#queueNames.push(name);
    // Poison messages go to the queue's dead-letter queue at once (pipeline/decision.ts).
    const deadLetter = { queueArn: sqs.arn, lookup: new DeadLetterLookup(access.sqs, access.caller, url, ref.region), sender: sqs };
    return { sqs, receiver, ctx: { name, region: ref.region, settler: queueSettler(sqs), objects, metrics: this.metrics.forQueue(name), deadLetter } };
  }

  /** Tries a queue that could not be used again, with backoff (1 s doubling to 60 s), until it opens or the daemon stops. */
  async #retryQueue(first: QueueFailure): Promise<void> {
    let delayMs = 1000;
    let attempt = 1;
    while (!this.#receiving.signal.aborted) {
      await sleep(delayMs, this.#receiving.signal);
      if (this.#receiving.signal.aborted) return;
      attempt++;
      const a = await this.#openQueue(first.index, first.entry);
      if (!("error" in a)) {
        this.#log.info({ queue: a.ctx.name, attempt }, `queue ${a.ctx.name} can be used now (attempt ${attempt}); polling it`);
        if (!this.#receiving.signal.aborted) this.#poll(a);
        return;
      }
      delayMs = Math.min(delayMs * 2, 60_000);
      this.#log.error(
        { queue: a.name, attempt, retryInMs: delayMs, ...errorFields(a.error) },
        `${a.message} (attempt ${attempt}; next in ${Math.round(delayMs / 1000)}s)`,
      );
    }
  }

  #poll(q: OpenedQueue): void {
    const deps = this.#deps!;
    this.#pollers.push(
      pollQueue(
        {
          queueName: q.ctx.name,
          receiver: q.receiver,
          slots: this.#slots,
          handle: (msg) => handleMessage(msg, q.ctx, deps, this.#working.signal),
          release: async (msg) => {
            try {
              await q.ctx.settler.changeVisibility(msg.receiptHandle, 0);
              q.ctx.metrics.released(msg.messageId);
            } catch (err) {
              q.ctx.metrics.releaseFailed();
              this.#log.warn(
                { queue: q.ctx.name, messageId: msg.messageId, ...errorFields(err) },
                `could not release a message received during shutdown (${describeCause(err)}); it reappears after its visibility timeout`,
              );
            }
          },
          log: this.#log,
          observer: {
            received: (messages, seconds) => {
              const now = Date.now();
              const oldest = messages.reduce<number | undefined>(
                (m, x) => (x.sentAtMs === undefined ? m : Math.max(m ?? 0, (now - x.sentAtMs) / 1000)),
                undefined,
              );
              if (messages.length > 0) q.ctx.metrics.received(messages.length, oldest);
              q.ctx.metrics.receiveDuration(seconds);
              this.health.set(`queue ${q.ctx.name}`, true);
            },
            failed: (reason, seconds) => {
              q.ctx.metrics.receiveError();
              q.ctx.metrics.receiveDuration(seconds);
              this.health.set(`queue ${q.ctx.name}`, false, reason);
            },
          },
          loopHealth: this.health.loop(q.ctx.name),
        },
        this.#receiving.signal,
        this.#receiveAbort.signal,
      ),
    );
  }

  /** Messages being worked on or waiting for a worker. */
  get inFlight(): number {
    return this.#slots.busy;
  }

  /**
   * Graceful shutdown: stop receiving; let in-flight messages finish for up to the grace period;
   * then abort the rest, releasing their messages (never deleting them); flush the output.
   */
  stop(reason = "stop requested"): Promise<void> {
    this.#stopping ??= this.#shutdown(reason);
    return this.#stopping;
  }

  /**
   * The stop of DESIGN §9: receiving stops at once (a receive in flight is aborted); in-flight
   * messages get the grace period; then every unfinished one is released (visibility 0), including
   * those waiting on an output acknowledgement; the final heartbeat and the output's flush share what
   * is left of `FORCED_STOP_MS`. Whatever the output or S3 do, this ends by grace + FORCED_STOP_MS.
   */
  async #shutdown(reason: string): Promise<void> {
    const graceMs = this.#settings.s3beat.shutdownGracePeriodSeconds * 1000;
    const startedAt = Date.now();
    const graceEnd = startedAt + graceMs;
    this.#log.info({ reason, inFlight: this.inFlight, gracePeriodSeconds: graceMs / 1000 }, `shutting down (${reason}): no new messages will be received`);
    const timers = new AbortController(); // so no sleep below outlives the shutdown
    const until = (at: number) => sleep(Math.max(0, at - Date.now()), timers.signal).then(() => false);
    // The forced phase takes at most 3 s of its 5 s bound: the rest is margin for the process to exit.
    let forcedEnd = graceEnd + FORCED_STOP_MS - 2000;
    try {
      this.#receiving.abort();
      const busy = this.inFlight > 0;
      if (!busy) this.#receiveAbort.abort(); // idle: nothing will be released, so nothing to catch
      this.#slots.clear(); // queued, never started: none here (receives are sized to idle workers)
      const releasedBefore = this.stats.messagesReleased;
      const finished = await Promise.race([this.#slots.onIdle().then(() => true), until(graceEnd)]);
      if (!finished) {
        this.#log.warn({ inFlight: this.inFlight }, `grace period over: releasing ${this.inFlight} unfinished messages for redelivery`);
        this.#working.abort(new Error("shutdown grace period over"));
        const settled = await Promise.race([this.#slots.onIdle().then(() => true), until(forcedEnd - 1500)]);
        if (!settled) this.#log.error({ inFlight: this.inFlight }, "some messages could not be released in time; they reappear after their visibility timeout");
      } else if (!busy) {
        // Idle: nothing to finish. An unreachable collector must not hold the stop past 2 s.
        forcedEnd = Math.min(forcedEnd, Date.now() + 1500);
      }
      if (this.stats.messagesReleased > releasedBefore) {
        // A receive still open may take what was just released: let it return that (it is released again).
        await Promise.race([Promise.allSettled(this.#pollers), until(Math.min(Date.now() + 1000, forcedEnd - 1000))]);
      }
      this.#receiveAbort.abort();
      await Promise.race([Promise.allSettled(this.#pollers), until(forcedEnd - 1000)]);
      // The last heartbeat (status 3) says the beat stopped on purpose.
      await this.#heartbeats?.stop(Math.max(0, Math.min(forcedEnd - Date.now() - 500, FORCED_STOP_MS)));
      const closed = await Promise.race([
        this.#output.close().then(
          () => true,
          (err: unknown) => {
            this.#log.error(errorFields(err), `output did not close cleanly: ${describeCause(err)}`);
            return true;
          },
        ),
        until(forcedEnd),
      ]);
      if (!closed) {
        // Nothing it holds is lost: the messages of unacknowledged events were released or stay hidden.
        this.#log.error(`output ${this.#output.name} did not flush in time; closing it now`);
        await Promise.race([this.#output.destroy?.("shutdown"), until(forcedEnd + 500)]);
      }
    } finally {
      timers.abort();
    }
    clearInterval(this.#metricsTimer);
    this.#access.destroy();
    await this.#http?.close();
    const s = this.stats;
    const left = this.inFlight + s.messagesReleaseFailed;
    this.#log.info(
      {
        stats: s,
        messagesDeleted: s.messagesDeleted,
        messagesReleased: s.messagesReleased,
        messagesLeft: left,
        stopSeconds: (Date.now() - startedAt) / 1000,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      },
      `s3beat stopped: ${s.messagesDeleted} messages deleted, ${s.messagesReleased} released, ${left} left to their visibility timeout`,
    );
  }

  /**
   * Every `logging.metrics.period`: the queues' backlog is read (for /metrics and the summary) and,
   * unless `logging.metrics.enabled` is false, one summary line is logged, also when idle, so a
   * quiet daemon is visibly alive.
   */
  #startMetrics(): void {
    const logging = this.#settings.logging;
    const periodMs = logging.metricsPeriodSeconds * 1000;
    if (!logging.metricsEnabled && !this.#settings.http.enabled) return;
    let prev = { ...this.stats };
    let running = false;
    const tick = async (first = false) => {
      if (running) return; // a slow GetQueueAttributes must not pile up ticks
      running = true;
      try {
        await this.#readBacklogs();
        if (first) return; // the backlog gauges are filled at once; the summary waits a whole period
        this.metrics.periodEnded(this.#queueNames);
        if (!logging.metricsEnabled) return;
        const now = { ...this.stats };
        const line = summarize({
          now,
          prev,
          periodSeconds: periodMs / 1000,
          inFlight: this.inFlight,
          backlogs: this.#lastBacklog,
          memory: process.memoryUsage(),
        });
        prev = now;
        this.#log.info(line.fields, line.message);
      } finally {
        running = false;
      }
    };
    void tick(true);
    this.#metricsTimer = setInterval(() => void tick(), periodMs);
    this.#metricsTimer.unref();
  }

  async #readBacklogs(): Promise<void> {
    await Promise.all(
      this.#backlogs.map(async ({ name, reader }) => {
        try {
          const b = await reader.read(this.#receiving.signal);
          this.metrics.backlog(name, b.queue);
          if (b.deadLetter) this.metrics.backlog(name, b.deadLetter, true);
          this.#lastBacklog.set(name, b);
        } catch (err) {
          if (!this.#receiving.signal.aborted)
            this.#log.warn({ queue: name, ...errorFields(err) }, `cannot read the backlog of ${name}: ${describeCause(err)}`);
        }
      }),
    );
  }

  async #startHttp(): Promise<void> {
    const h = this.#settings.http;
    if (!h.enabled) return;
    this.#http = new HttpEndpoint({
      host: h.host,
      port: h.port,
      health: this.health,
      metrics: this.metrics,
      info: () => ({
        name: "s3beat",
        version: VERSION,
        node: process.version,
        uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
        configVersion: this.#opts.configVersion ?? null,
        beat: this.#settings.s3beat.beatIdentifier,
        queues: this.#queueNames,
        output: this.#output.name,
      }),
    });
    try {
      const addr = await this.#http.listen();
      this.#httpAddress = { host: addr.address, port: addr.port };
    } catch (err) {
      this.#http = undefined;
      throw new StartupError(describeCause(err), { cause: err });
    }
    this.#log.info(
      { url: `http://${h.host}:${this.#httpAddress.port}` },
      `http endpoint listening on ${h.host}:${this.#httpAddress.port} (/healthz, /readyz, /metrics)`,
    );
  }

  /** Output connection states → metrics, and one readiness part: ready while some host can take events. */
  #outputObserver(name: string): OutputObserver {
    const om = this.metrics.forOutput(name);
    const hosts = new Map<string, { up: boolean; reason?: string }>();
    const part = `output ${name}`;
    return {
      connection: (host, up, reason) => {
        om.connection(host, up);
        hosts.set(host, definedOnly({ up, reason: reason || undefined }));
        const down = [...hosts.values()].filter((h) => !h.up);
        if (down.length < hosts.size) this.health.set(part, true);
        else this.health.set(part, false, down.map((h) => h.reason ?? "down").join("; "));
      },
      reconnect: (host) => om.reconnect(host),
      windowSize: (host, n) => om.windowSize(host, n),
      publishDuration: (sec) => om.publishDuration(sec),
      writeError: () => om.writeError(),
    };
  }

  /** Role credentials → metrics, and a readiness part per role computed when asked (they expire). */
  #roleObserver() {
    const roles = new Map<string, { expiresAt?: number; error?: string }>();
    const check = (role: string) => (): PartState => {
      const r = roles.get(role) ?? {};
      const now = Date.now();
      if (r.expiresAt !== undefined && r.expiresAt > now) return { ready: true, since: now };
      if (r.error) return { ready: false, reason: r.error, since: now };
      if (r.expiresAt !== undefined) return { ready: false, reason: `credentials of ${role} expired and no refresh has succeeded yet`, since: now };
      return { ready: true, since: now };
    };
    const ensure = (role: string) => {
      if (!roles.has(role)) {
        roles.set(role, {});
        this.health.setCheck(`role ${role}`, check(role));
      }
      return roles.get(role)!;
    };
    return {
      refreshed: (role: string, expiration: Date | undefined) => {
        const r = ensure(role);
        r.expiresAt = expiration?.getTime() ?? Number.POSITIVE_INFINITY;
        delete r.error;
        this.metrics.credentials.refreshed(role, expiration);
      },
      failed: (role: string, reason: string) => {
        ensure(role).error = reason;
        this.metrics.credentials.refreshFailed(role);
      },
    };
  }
}
