// Over 300 lines: every metric is defined once here with the recorders that update it and its Stats total together.
/**
 * Every number s3beat exposes: Prometheus metrics (prom-client, one registry per daemon so that
 * several daemons in one test process do not mix) and the process totals of `Stats` that the
 * periodic log line, the demo and the tests read. Each recorder method updates both, so a count is
 * kept in one place. Labels are bounded by the configuration (queue, role, output, host) or by a
 * fixed list (outcome, state): never a bucket or an object key.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { newStats, type Stats } from "./stats.ts";

export const METRIC_PREFIX = "s3beat_";

/** How an object ended: read whole, skipped by key filters, gone, failed (retried), too large (cut at the size limit), poison (deterministically unreadable). */
export type ObjectOutcomeLabel = "delivered" | "filtered" | "not_found" | "failed" | "too_large" | "poison";
export type BacklogState = "visible" | "in_flight" | "delayed";

/** What one queue's intake and pipeline record; bound to the queue's label. */
export interface QueueMetrics {
  received(n: number, oldestAgeSeconds?: number): void;
  receiveDuration(seconds: number): void;
  receiveError(): void;
  deleted(): void;
  retried(): void;
  /** A message given back (visibility 0); one released again (caught by a receive still open) counts once. */
  released(messageId: string): void;
  /** A release at shutdown failed: the message reappears after its visibility timeout. */
  releaseFailed(): void;
  malformed(): void;
  testEvent(): void;
  visibilityExtended(ok: boolean): void;
  /** +1 when a message is taken for work, -1 when it is settled. */
  inFlight(delta: number): void;
  object(outcome: ObjectOutcomeLabel): void;
  bytesRead(n: number): void;
  bytesDecoded(n: number): void;
  eventsPublished(n: number): void;
  eventsAcked(n: number): void;
  eventTruncated(): void;
  /** An event whose bytes were not valid UTF-8 (shipped with U+FFFD and flagged). */
  eventInvalidUtf8(): void;
}

/** What an output records; bound to the output's name. */
export interface OutputMetrics {
  publishDuration(seconds: number): void;
  writeError(): void;
  /** Connection state of one collector host (lumberjack), or of the output itself (file, console). */
  connection(host: string, up: boolean): void;
  reconnect(host: string): void;
  windowSize(host: string, events: number): void;
}

/** What a role's credential provider records. */
export interface CredentialMetrics {
  refreshed(roleArn: string, expiration: Date | undefined): void;
  refreshFailed(roleArn: string): void;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RECEIVE_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 15, 20, 25, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  /** Process totals (all queues), for the log summary, the demo and tests. */
  readonly stats: Stats = newStats();
  /** Ids of the messages released so far (only at shutdown, so it stays small). */
  readonly #releasedIds = new Set<string>();
  /** Messages currently taken for work, all queues. */
  #inFlightTotal = 0;
  /** Highest in-flight count seen (all queues). */
  #inFlightPeak = 0;

  readonly #c = {
    received: this.#counter("sqs_messages_received_total", "SQS messages received", ["queue"]),
    deleted: this.#counter("sqs_messages_deleted_total", "SQS messages deleted after every event they name was acknowledged (and malformed or test messages)", [
      "queue",
    ]),
    retried: this.#counter("sqs_messages_retried_total", "SQS messages kept for a retry after a failure (visibility set to the backoff)", ["queue"]),
    released: this.#counter("sqs_messages_released_total", "SQS messages given back unfinished at shutdown (visibility 0)", ["queue"]),
    malformed: this.#counter("sqs_messages_malformed_total", "SQS messages whose body is not an S3 notification (logged and deleted)", ["queue"]),
    testEvents: this.#counter("sqs_test_events_total", "s3:TestEvent messages (deleted)", ["queue"]),
    extensions: this.#counter("sqs_visibility_extensions_total", "visibility timeout extensions of messages in progress", ["queue", "outcome"]),
    receiveErrors: this.#counter("sqs_receive_errors_total", "failed ReceiveMessage calls", ["queue"]),
    objects: this.#counter("s3_objects_total", "S3 objects by outcome", ["queue", "outcome"]),
    bytesRead: this.#counter("s3_read_bytes_total", "bytes read from S3, as stored (compressed when gzip)", ["queue"]),
    bytesDecoded: this.#counter("decoded_bytes_total", "bytes of object content after decompression", ["queue"]),
    published: this.#counter("events_published_total", "events handed to the output", ["queue"]),
    acked: this.#counter("events_acked_total", "events acknowledged by the output", ["queue"]),
    truncated: this.#counter("events_truncated_total", "events cut to maxEventBytes", ["queue"]),
    invalidUtf8: this.#counter("events_invalid_utf8_total", "events whose bytes were not valid UTF-8 (flagged, invalid sequences replaced by U+FFFD)", [
      "queue",
    ]),
    outputWriteErrors: this.#counter("output_write_errors_total", "failed publishes or writes of the output", ["output"]),
    outputReconnects: this.#counter("output_reconnects_total", "connections opened again after a failure or close", ["output", "host"]),
    credRefreshes: this.#counter("credentials_refreshes_total", "successful sts:AssumeRole calls", ["role"]),
    credFailures: this.#counter("credentials_refresh_failures_total", "failed sts:AssumeRole calls", ["role"]),
  };

  readonly #g = {
    inFlight: this.#gauge("sqs_messages_in_flight", "messages being processed", ["queue"]),
    oldestAge: this.#gauge("sqs_oldest_message_age_seconds", "age (since it was sent) of the oldest message received in the last metrics period", ["queue"]),
    backlog: this.#gauge("sqs_queue_messages", "messages in the queue by state (GetQueueAttributes, once per metrics period)", ["queue", "state"]),
    dlqBacklog: this.#gauge("sqs_dead_letter_queue_messages", "messages in the queue's dead-letter queue by state", ["queue", "state"]),
    connection: this.#gauge("output_connection_up", "1 while the output (or its connection to this host) can take events, else 0", ["output", "host"]),
    window: this.#gauge("output_window_size_events", "current lumberjack window size", ["output", "host"]),
    info: this.#gauge("build_info", "always 1; the labels say the version and Node.js release", ["version", "node"]),
    startTime: this.#gauge("start_time_seconds", "Unix time the daemon started", []),
  };

  readonly #receiveDuration = new Histogram({
    name: `${METRIC_PREFIX}sqs_receive_duration_seconds`,
    help: "ReceiveMessage latency (long polls included)",
    labelNames: ["queue"],
    buckets: RECEIVE_BUCKETS,
    registers: [this.registry],
  });
  readonly #publishDuration = new Histogram({
    name: `${METRIC_PREFIX}output_publish_duration_seconds`,
    help: "time from handing a batch to the output until it is acknowledged",
    labelNames: ["output"],
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  /** Expiry times by role, read into the gauge at scrape time so it counts down between refreshes. */
  readonly #expiries = new Map<string, number>();
  #now: () => number = Date.now;
  /** The oldest message age seen per queue since the last `periodEnded()`. */
  #oldestThisPeriod = new Map<string, number>();

  constructor(opts: { version: string; defaultMetrics?: boolean; now?: () => number } = { version: "0" }) {
    if (opts.now) this.#now = opts.now;
    this.#expiryGauge(); // registered with the registry; read at scrape time
    this.#g.info.set({ version: opts.version, node: process.version }, 1);
    this.#g.startTime.set(Math.floor(this.#now() / 1000));
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  forQueue(queue: string): QueueMetrics {
    const q = { queue };
    const s = this.stats;
    const released = this.#releasedIds;
    // Series exist from the start at 0, so rate() and alerts see them before the first event.
    for (const c of [
      this.#c.received,
      this.#c.deleted,
      this.#c.retried,
      this.#c.released,
      this.#c.malformed,
      this.#c.testEvents,
      this.#c.receiveErrors,
      this.#c.bytesRead,
      this.#c.bytesDecoded,
      this.#c.published,
      this.#c.acked,
      this.#c.truncated,
      this.#c.invalidUtf8,
    ])
      c.inc(q, 0);
    for (const outcome of ["delivered", "filtered", "not_found", "failed", "too_large", "poison"]) this.#c.objects.inc({ queue, outcome }, 0);
    for (const outcome of ["ok", "failed"]) this.#c.extensions.inc({ queue, outcome }, 0);
    this.#g.inFlight.set(q, 0);
    return {
      received: (n, oldest) => {
        s.messagesReceived += n;
        this.#c.received.inc(q, n);
        if (oldest !== undefined && oldest > (this.#oldestThisPeriod.get(queue) ?? -1)) this.#oldestThisPeriod.set(queue, oldest);
      },
      receiveDuration: (sec) => this.#receiveDuration.observe(q, sec),
      receiveError: () => {
        s.receiveErrors++;
        this.#c.receiveErrors.inc(q);
      },
      deleted: () => {
        s.messagesDeleted++;
        this.#c.deleted.inc(q);
      },
      retried: () => {
        s.messagesRetried++;
        this.#c.retried.inc(q);
      },
      released: (messageId) => {
        if (released.has(messageId)) return;
        released.add(messageId);
        s.messagesReleased++;
        this.#c.released.inc(q);
      },
      releaseFailed: () => {
        s.messagesReleaseFailed++;
      },
      malformed: () => {
        s.messagesMalformed++;
        this.#c.malformed.inc(q);
      },
      testEvent: () => {
        s.testEvents++;
        this.#c.testEvents.inc(q);
      },
      visibilityExtended: (ok) => {
        if (ok) s.visibilityExtensions++;
        this.#c.extensions.inc({ queue, outcome: ok ? "ok" : "failed" });
      },
      inFlight: (delta) => {
        this.#g.inFlight.inc(q, delta);
        this.#inFlightTotal += delta;
        if (this.#inFlightTotal > this.#inFlightPeak) this.#inFlightPeak = this.#inFlightTotal;
      },
      object: (outcome) => {
        if (outcome === "delivered") s.objectsRead++;
        else if (outcome === "filtered") s.objectsFiltered++;
        else if (outcome === "not_found") s.objectsNotFound++;
        else if (outcome === "too_large") s.objectsTooLarge++;
        else if (outcome === "poison") s.objectsPoison++;
        else s.objectsFailed++;
        this.#c.objects.inc({ queue, outcome });
      },
      bytesRead: (n) => {
        s.bytesRead += n;
        this.#c.bytesRead.inc(q, n);
      },
      bytesDecoded: (n) => {
        s.bytesDecoded += n;
        this.#c.bytesDecoded.inc(q, n);
      },
      eventsPublished: (n) => {
        s.eventsPublished += n;
        this.#c.published.inc(q, n);
      },
      eventsAcked: (n) => {
        s.eventsAcked += n;
        this.#c.acked.inc(q, n);
      },
      eventTruncated: () => {
        s.eventsTruncated++;
        this.#c.truncated.inc(q);
      },
      eventInvalidUtf8: () => {
        s.eventsInvalidUtf8++;
        this.#c.invalidUtf8.inc(q);
      },
    };
  }

  forOutput(output: string): OutputMetrics {
    this.#c.outputWriteErrors.inc({ output }, 0);
    return {
      publishDuration: (sec) => this.#publishDuration.observe({ output }, sec),
      writeError: () => {
        this.stats.outputErrors++;
        this.#c.outputWriteErrors.inc({ output });
      },
      connection: (host, up) => this.#g.connection.set({ output, host }, up ? 1 : 0),
      reconnect: (host) => this.#c.outputReconnects.inc({ output, host }),
      windowSize: (host, events) => this.#g.window.set({ output, host }, events),
    };
  }

  readonly credentials: CredentialMetrics = {
    refreshed: (role, expiration) => {
      this.#c.credFailures.inc({ role }, 0);
      this.#c.credRefreshes.inc({ role });
      if (expiration) this.#expiries.set(role, expiration.getTime());
    },
    refreshFailed: (role) => {
      this.#c.credRefreshes.inc({ role }, 0);
      this.stats.credentialFailures++;
      this.#c.credFailures.inc({ role });
    },
  };

  /** Records a queue's backlog as GetQueueAttributes gave it (`dlq` for its dead-letter queue). */
  backlog(queue: string, counts: Record<BacklogState, number>, dlq = false): void {
    const g = dlq ? this.#g.dlqBacklog : this.#g.backlog;
    for (const [state, n] of Object.entries(counts)) g.set({ queue, state }, n);
  }

  /** Ends a metrics period: the oldest-message gauge shows what this period saw (0 when nothing arrived). */
  periodEnded(queues: readonly string[]): void {
    for (const queue of queues) this.#g.oldestAge.set({ queue }, this.#oldestThisPeriod.get(queue) ?? 0);
    this.#oldestThisPeriod = new Map();
  }

  get inFlightTotal(): number {
    return this.#inFlightTotal;
  }

  get inFlightPeak(): number {
    return this.#inFlightPeak;
  }

  /** Seconds until the current credentials of each role expire; negative once they have expired. */
  secondsUntilExpiry(role: string): number | undefined {
    const at = this.#expiries.get(role);
    return at === undefined ? undefined : (at - this.#now()) / 1000;
  }

  #expiryGauge(): Gauge<string> {
    const self = this;
    return new Gauge({
      name: `${METRIC_PREFIX}credentials_expiry_seconds`,
      help: "seconds until the role's current credentials expire (negative: expired)",
      labelNames: ["role"],
      registers: [this.registry],
      collect() {
        for (const role of self.#expiries.keys()) this.set({ role }, Math.round((self.secondsUntilExpiry(role) ?? 0) * 10) / 10);
      },
    });
  }

  #counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name: `${METRIC_PREFIX}${name}`, help, labelNames, registers: [this.registry] });
  }

  #gauge(name: string, help: string, labelNames: string[]): Gauge<string> {
    return new Gauge({ name: `${METRIC_PREFIX}${name}`, help, labelNames, registers: [this.registry] });
  }
}
