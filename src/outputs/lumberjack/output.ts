/**
 * libbeat's output.logstash: events to Logstash, the LogRhythm Open Collector or any Beats
 * (lumberjack v2) server, with at-least-once delivery: a publish resolves only when the server has
 * acknowledged every event of its batch; failures are retried forever (backoff), never dropped.
 */
import type { Logger } from "pino";
import type { LogstashOutputSettings } from "../../config/settings.ts";
import { EncodedEvents, type Output, type OutputEvent, type OutputObserver } from "../output.ts";
import { JsonDocument } from "./frames.ts";
import { hostAddress } from "./connection.ts";
import { SendQueue, type PendingBatch } from "./queue.ts";
import { loadTlsMaterial, type TlsMaterial } from "./tls.ts";
import { Worker, type WorkerOptions } from "./worker.ts";
import { definedOnly } from "../../util/optional.ts";

/**
 * Published batches join one queue; windows are cut from its front. Without loadbalance one worker
 * sends to one host at a time (a random one first, the next after a failure); with loadbalance
 * there is one worker per host, all pulling from the queue, so a host that is down takes no events.
 * The pipeline bounds the unacknowledged batches, so the queue needs no bound of its own.
 *
 * Workers start with the first publish. `close()` waits for every pending batch, then closes the
 * connections; `destroy()` stops at once and rejects what is pending (nothing is lost: the SQS
 * messages of those events are not deleted).
 */
export class LumberjackOutput implements Output {
  readonly name = "logstash";
  readonly reportsConnections = true;
  readonly #observer: OutputObserver | undefined;
  readonly #settings: LogstashOutputSettings;
  readonly #log: Logger;
  readonly #tls: TlsMaterial | undefined;
  readonly #queue = new SendQueue<WindowEvent>();
  readonly #pending = new Set<PendingBatch>();
  readonly #stop = new AbortController();
  #workers: Promise<void>[] | undefined;
  #idleWaiters: Array<() => void> = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Reads the TLS files at once: a missing or unreadable file is a startup error naming the setting. */
  constructor(settings: LogstashOutputSettings, log: Logger, observer?: OutputObserver) {
    if (settings.hosts.length === 0) throw new Error("output.logstash.hosts: list at least one host");
    this.#observer = observer;
    this.#settings = settings;
    this.#log = log;
    this.#tls = settings.ssl ? loadTlsMaterial(settings.ssl) : undefined;
    if (settings.ssl?.verificationMode === "none") {
      log.warn(
        "output.logstash.ssl.verification_mode is none: the collector's certificate is not checked, so anyone on the network path can receive these logs",
      );
    }
  }

  publish(batch: readonly OutputEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("logstash output is closed"));
    // One data frame per event: events already serialized go as their documents' bytes.
    const events = batch.flatMap((e): WindowEvent[] => (e instanceof EncodedEvents ? JsonDocument.of(e) : [e]));
    if (events.length === 0) return Promise.resolve();
    this.#start();
    return new Promise<void>((resolve, reject) => {
      const settle = (fn: () => void) => {
        this.#pending.delete(pending);
        fn();
        if (this.#pending.size === 0) this.#wakeIdle();
      };
      const pending: PendingBatch = {
        unacked: events.length,
        resolve: () => settle(resolve),
        reject: (err) => settle(() => reject(err)),
      };
      this.#pending.add(pending);
      this.#queue.add(pending, events);
    });
  }

  /** Stops accepting, waits until every pending batch is acknowledged, then closes the connections. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      while (this.#pending.size > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
      await this.#halt();
    })();
    return this.#closing;
  }

  /** Stops now: closes the connections and rejects every batch not yet acknowledged. */
  async destroy(reason = "logstash output destroyed"): Promise<void> {
    this.#closed = true;
    const err = new Error(`${reason} before the collector acknowledged these events; they will be read again`);
    for (const b of this.#pending) b.reject(err);
    this.#pending.clear();
    this.#wakeIdle();
    await this.#halt();
  }

  #start(): void {
    if (this.#workers) return;
    const s = this.#settings;
    const base: Omit<WorkerOptions, "hosts"> = {
      bulkMaxSize: s.bulkMaxSize,
      pipelining: s.pipelining,
      compressionLevel: s.compressionLevel,
      timeoutMs: s.timeoutSeconds * 1000,
      backoffInitMs: s.backoffInitSeconds * 1000,
      backoffMaxMs: s.backoffMaxSeconds * 1000,
      ttlMs: s.ttlSeconds * 1000,
      log: this.#log,
      ...definedOnly({ tls: this.#tls, observer: this.#observer }),
      signal: this.#stop.signal,
    };
    const hostLists = s.loadbalance ? s.hosts.map((h) => [h]) : [rotate(s.hosts, Math.floor(Math.random() * s.hosts.length))];
    this.#log.debug({ hosts: s.hosts.map(hostAddress), loadbalance: s.loadbalance, tls: this.#tls !== undefined }, "logstash output starting");
    this.#workers = hostLists.map((hosts) => new Worker(this.#queue, { ...base, hosts }).run());
  }

  async #halt(): Promise<void> {
    this.#stop.abort();
    this.#queue.wake();
    await Promise.all(this.#workers ?? []);
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** What a data frame carries: an event to serialize, or its JSON document already serialized. */
type WindowEvent = Exclude<OutputEvent, EncodedEvents> | JsonDocument;

/** `list` starting at index `first`, wrapping around. */
function rotate<T>(list: readonly T[], first: number): T[] {
  return [...list.slice(first), ...list.slice(0, first)];
}
