/**
 * A sender: owns at most one connection, cuts windows from the shared queue while it is connected,
 * and on any failure puts the unacknowledged events back, shrinks its window, waits (backoff) and
 * reconnects — to the next of its hosts when it has several. It never holds events while it cannot
 * send them, so with loadbalance a worker whose host is down leaves the queue to the others.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { LogstashHost } from "../../config/settings.ts";
import { Backoff } from "./backoff.ts";
import { hostAddress, LumberjackConnection, WindowError } from "./connection.ts";
import { credit, unacknowledged, windowEvents, type SendQueue, type Slice } from "./queue.ts";
import type { OutputObserver } from "../output.ts";
import type { TlsMaterial } from "./tls.ts";
import { DynamicWindow } from "./window.ts";

export interface WorkerOptions {
  /** Hosts in the order they are tried: the first, then the next one after each failure. */
  hosts: readonly LogstashHost[];
  bulkMaxSize: number;
  compressionLevel: number;
  timeoutMs: number;
  backoffInitMs: number;
  backoffMaxMs: number;
  /** Reconnect between windows once the connection is this old; 0: never. */
  ttlMs: number;
  tls?: TlsMaterial;
  log: Logger;
  /** Told of connections, failures and the window size, per host. */
  observer?: Pick<OutputObserver, "connection" | "reconnect" | "windowSize">;
  /** Aborted when the output stops: the worker closes its connection and returns. */
  signal: AbortSignal;
}

/** Failures in a row that are logged as warnings: the first, then every tenth (the others at debug). */
const LOUD_EVERY = 10;

export class Worker<E> {
  private readonly opts: WorkerOptions;
  private readonly queue: SendQueue<E>;
  private readonly window: DynamicWindow;
  private readonly backoff: Backoff;
  private conn: LumberjackConnection | undefined;
  private hostIndex = 0;
  /** Failures since events were last acknowledged. */
  private failures = 0;
  private connections = 0;

  constructor(queue: SendQueue<E>, opts: WorkerOptions) {
    this.queue = queue;
    this.opts = opts;
    this.window = new DynamicWindow(opts.bulkMaxSize);
    this.backoff = new Backoff(opts.backoffInitMs, opts.backoffMaxMs);
  }

  /** Sends windows until the signal is aborted. Never rejects. */
  async run(): Promise<void> {
    const { signal } = this.opts;
    while (!signal.aborted) {
      await this.queue.waitForWork();
      if (signal.aborted) break;
      const conn = await this.connection();
      if (conn === undefined) continue;
      const slices = this.queue.take(this.window.size);
      if (slices.length > 0) await this.send(conn, slices);
    }
    this.conn?.close();
    this.conn = undefined;
  }

  private get host(): LogstashHost {
    return this.opts.hosts[this.hostIndex]!;
  }

  /** The open connection, a new one, or undefined after a failed attempt (the backoff already waited). */
  private async connection(): Promise<LumberjackConnection | undefined> {
    const { ttlMs, log } = this.opts;
    const current = this.conn;
    if (current?.isOpen && (ttlMs <= 0 || Date.now() - current.openedAt < ttlMs)) return current;
    if (current) {
      // Not failures: collectors close idle connections (Logstash after client_inactivity_timeout).
      log.debug({ host: current.address }, current.isOpen ? "logstash output: connection ttl reached, reconnecting" : `logstash output: connection closed while idle (${current.endReason}), reconnecting`);
      current.close();
      this.conn = undefined;
    }
    const address = hostAddress(this.host);
    try {
      this.conn = await LumberjackConnection.open({
        host: this.host,
        ...(this.opts.tls ? { tls: this.opts.tls } : {}),
        timeoutMs: this.opts.timeoutMs,
        compressionLevel: this.opts.compressionLevel,
        signal: this.opts.signal,
      });
    } catch (err) {
      if (!this.opts.signal.aborted) await this.failed(err);
      return undefined;
    }
    this.connections++;
    this.opts.observer?.connection(address, true);
    if (this.connections > 1) this.opts.observer?.reconnect(address);
    this.opts.observer?.windowSize(address, this.window.size);
    const loud = this.connections === 1 || (this.failures > 0 && this.isLoud());
    log[loud ? "info" : "debug"]({ host: address, tls: this.opts.tls !== undefined }, `logstash output: connected to ${address}${this.failures > 0 ? ` (after ${this.failures} failed attempts)` : ""}`);
    return this.conn;
  }

  /** Sends one window; on failure puts back what was not acknowledged. */
  private async send(conn: LumberjackConnection, slices: Slice<E>[]): Promise<void> {
    const events = windowEvents(slices);
    let acked = 0;
    try {
      await conn.sendWindow(events, (k) => {
        credit(slices, acked, k);
        acked = k;
        // The collector is taking events: the next failure starts a fresh backoff.
        this.failures = 0;
        this.backoff.reset();
      });
      this.window.succeeded(events.length);
      this.opts.observer?.windowSize(conn.address, this.window.size);
    } catch (err) {
      if (!(err instanceof WindowError)) {
        // Not the network: the window could not even be encoded. Sending it again would fail the
        // same way and block every batch behind it, so its batches fail (their messages are retried).
        this.opts.log.error({ "error.type": (err as Error)?.name }, `logstash output: cannot encode a window: ${(err as Error).message}`);
        for (const s of slices) s.batch.reject(new Error(`logstash output: cannot encode events: ${(err as Error).message}`, { cause: err }));
        return;
      }
      this.queue.putBack(unacknowledged(slices, acked));
      this.window.failed();
      conn.close();
      this.conn = undefined;
      if (!this.opts.signal.aborted) await this.failed(err);
    }
  }

  /** Logs a failure (throttled), moves on to the next host, and waits out the backoff. */
  private async failed(err: unknown): Promise<void> {
    this.failures++;
    const delayMs = this.backoff.next();
    const from = hostAddress(this.host);
    if (this.opts.hosts.length > 1) this.hostIndex = (this.hostIndex + 1) % this.opts.hosts.length;
    const next = this.opts.hosts.length > 1 ? `; next host ${hostAddress(this.host)}` : "";
    const message = err instanceof Error ? err.message : String(err);
    this.opts.observer?.connection(from, false, `logstash output: ${message}`);
    this.opts.observer?.windowSize(from, this.window.size);
    this.opts.log[this.isLoud() ? "warn" : "debug"](
      { host: from, failures: this.failures, retryInMs: delayMs, window: this.window.size },
      `logstash output: ${message}; retrying in ${delayMs < 1000 ? `${delayMs}ms` : `${(delayMs / 1000).toFixed(1)}s`}${next} (failure ${this.failures} in a row; events are kept and re-sent)`,
    );
    await sleep(delayMs, undefined, { signal: this.opts.signal }).catch(() => undefined);
  }

  private isLoud(): boolean {
    return this.failures <= 1 || this.failures % LOUD_EVERY === 0;
  }
}
