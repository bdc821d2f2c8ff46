/**
 * A sender: owns at most one connection, cuts windows from the shared queue while it is connected
 * (up to 1 + `pipelining` of them in flight), and on any failure puts the unacknowledged events
 * back, in order, shrinks its window, waits (backoff) and reconnects — to the next of its hosts
 * when it has several. It never holds events while it cannot
 * send them, so with loadbalance a worker whose host is down leaves the queue to the others.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { LogstashHost } from "../../config/settings.ts";
import { Backoff, formatDelay } from "../../util/backoff.ts";
import { hostAddress, LumberjackConnection, WindowError } from "./connection.ts";
import { credit, unacknowledged, windowEvents, type SendQueue, type Slice } from "./queue.ts";
import type { OutputObserver } from "../output.ts";
import type { TlsMaterial } from "./tls.ts";
import { DynamicWindow } from "./window.ts";
import { definedOnly } from "../../util/optional.ts";

export interface WorkerOptions {
  /** Hosts in the order they are tried: the first, then the next one after each failure. */
  hosts: readonly LogstashHost[];
  bulkMaxSize: number;
  /** Windows sent before waiting for the oldest one's ACK, beyond the first (libbeat's `pipelining`); 0: one at a time. */
  pipelining: number;
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

/** A window sent on the current connection. */
interface SentWindow<E> {
  slices: Slice<E>[];
  /** Events of the window acknowledged so far. */
  acked: number;
  /** The connection failed before the window was fully acknowledged. */
  error?: WindowError;
  settled: boolean;
  /** Settles (never rejects) once the window is acknowledged, failed or rejected. */
  done: Promise<void>;
}

/** Failures in a row that are logged as warnings: the first, then every tenth (the others at debug). */
const LOUD_EVERY = 10;

export class Worker<E> {
  readonly #opts: WorkerOptions;
  readonly #queue: SendQueue<E>;
  readonly #window: DynamicWindow;
  readonly #backoff: Backoff;
  #conn: LumberjackConnection | undefined;
  #hostIndex = 0;
  /** Failures since events were last acknowledged. */
  #failures = 0;
  #connections = 0;

  constructor(queue: SendQueue<E>, opts: WorkerOptions) {
    this.#queue = queue;
    this.#opts = opts;
    this.#window = new DynamicWindow(opts.bulkMaxSize);
    this.#backoff = new Backoff(opts.backoffInitMs, opts.backoffMaxMs);
  }

  /** Sends windows until the signal is aborted. Never rejects. */
  async run(): Promise<void> {
    const { signal } = this.#opts;
    while (!signal.aborted) {
      await this.#queue.waitForWork();
      if (signal.aborted) break;
      const conn = await this.#connection();
      if (conn === undefined) continue;
      await this.#pump(conn);
    }
    this.#conn?.close();
    this.#conn = undefined;
  }

  /**
   * Sends windows on `conn` while events wait, with up to 1 + pipelining in flight. Returns once
   * nothing waits and nothing is in flight, the connection's ttl is reached, or after a failure
   * (handled: events put back, backoff waited).
   */
  async #pump(conn: LumberjackConnection): Promise<void> {
    const { signal, pipelining } = this.#opts;
    const windows: SentWindow<E>[] = [];
    let failure: WindowError | undefined;
    for (;;) {
      while (windows.length > 0 && windows[0]!.settled && windows[0]!.error === undefined) windows.shift();
      if (signal.aborted || failure !== undefined || !conn.isOpen) break;
      if (windows.length <= pipelining && this.#queue.size > 0 && !this.#expired(conn)) {
        windows.push(this.#send(conn, this.#queue.take(this.#window.size), (err) => (failure ??= err)));
        continue;
      }
      if (windows.length === 0) return;
      // Room for another window: also wake up when events arrive.
      const room = windows.length <= pipelining && !this.#expired(conn);
      await (room ? Promise.race([windows[0]!.done, this.#queue.waitForWork()]) : windows[0]!.done);
    }
    await Promise.all(windows.map((w) => w.done));
    // Last window first: each goes to the front, so the oldest ends up first again.
    for (const w of windows.reverse()) if (w.error !== undefined) this.#queue.putBack(unacknowledged(w.slices, w.acked));
    if (failure === undefined) return;
    this.#window.failed();
    conn.close();
    this.#conn = undefined;
    if (!signal.aborted) await this.#failed(failure);
  }

  /** The connection has reached its ttl: no new window goes out on it. */
  #expired(conn: LumberjackConnection): boolean {
    return this.#opts.ttlMs > 0 && Date.now() - conn.openedAt >= this.#opts.ttlMs;
  }

  /** Sends one window; `failed` hears a connection failure (the caller puts back what was not acknowledged). */
  #send(conn: LumberjackConnection, slices: Slice<E>[], failed: (err: WindowError) => void): SentWindow<E> {
    const events = windowEvents(slices);
    const w: SentWindow<E> = { slices, acked: 0, settled: false, done: Promise.resolve() };
    w.done = conn
      .sendWindow(events, (k) => {
        credit(slices, w.acked, k);
        w.acked = k;
        // The collector is taking events: the next failure starts a fresh backoff.
        this.#failures = 0;
        this.#backoff.reset();
      })
      .then(
        () => {
          this.#window.succeeded(events.length);
          this.#opts.observer?.windowSize(conn.address, this.#window.size);
        },
        (err: unknown) => {
          if (err instanceof WindowError) {
            w.error = err;
            failed(err);
            return;
          }
          // Not the network: the window could not even be encoded. Sending it again would fail the
          // same way and block every batch behind it, so its batches fail (their messages are retried).
          this.#opts.log.error({ "error.type": (err as Error)?.name }, `logstash output: cannot encode a window: ${(err as Error).message}`);
          for (const s of slices) s.batch.reject(new Error(`logstash output: cannot encode events: ${(err as Error).message}`, { cause: err }));
        },
      )
      .finally(() => {
        w.settled = true;
      });
    return w;
  }

  get #host(): LogstashHost {
    return this.#opts.hosts[this.#hostIndex]!;
  }

  /** The open connection, a new one, or undefined after a failed attempt (the backoff already waited). */
  async #connection(): Promise<LumberjackConnection | undefined> {
    const { ttlMs, log } = this.#opts;
    const current = this.#conn;
    if (current?.isOpen && (ttlMs <= 0 || Date.now() - current.openedAt < ttlMs)) return current;
    if (current) {
      // Not failures: collectors close idle connections (Logstash after client_inactivity_timeout).
      log.debug(
        { host: current.address },
        current.isOpen
          ? "logstash output: connection ttl reached, reconnecting"
          : `logstash output: connection closed while idle (${current.endReason}), reconnecting`,
      );
      current.close();
      this.#conn = undefined;
    }
    const address = hostAddress(this.#host);
    try {
      this.#conn = await LumberjackConnection.open({
        host: this.#host,
        ...definedOnly({ tls: this.#opts.tls }),
        timeoutMs: this.#opts.timeoutMs,
        compressionLevel: this.#opts.compressionLevel,
        signal: this.#opts.signal,
      });
    } catch (err) {
      if (!this.#opts.signal.aborted) await this.#failed(err);
      return undefined;
    }
    this.#connections++;
    this.#opts.observer?.connection(address, true);
    if (this.#connections > 1) this.#opts.observer?.reconnect(address);
    this.#opts.observer?.windowSize(address, this.#window.size);
    const loud = this.#connections === 1 || (this.#failures > 0 && this.#isLoud());
    log[loud ? "info" : "debug"](
      { host: address, tls: this.#opts.tls !== undefined },
      `logstash output: connected to ${address}${this.#failures > 0 ? ` (after ${this.#failures} failed attempts)` : ""}`,
    );
    return this.#conn;
  }

  /** Logs a failure (throttled), moves on to the next host, and waits out the backoff. */
  async #failed(err: unknown): Promise<void> {
    this.#failures++;
    const delayMs = this.#backoff.next();
    const from = hostAddress(this.#host);
    if (this.#opts.hosts.length > 1) this.#hostIndex = (this.#hostIndex + 1) % this.#opts.hosts.length;
    const next = this.#opts.hosts.length > 1 ? `; next host ${hostAddress(this.#host)}` : "";
    const message = err instanceof Error ? err.message : String(err);
    this.#opts.observer?.connection(from, false, `logstash output: ${message}`);
    this.#opts.observer?.windowSize(from, this.#window.size);
    this.#opts.log[this.#isLoud() ? "warn" : "debug"](
      { host: from, failures: this.#failures, retryInMs: delayMs, window: this.#window.size },
      `logstash output: ${message}; retrying in ${formatDelay(delayMs)}${next} (failure ${this.#failures} in a row; events are kept and re-sent)`,
    );
    await sleep(delayMs, undefined, { signal: this.#opts.signal }).catch(() => undefined);
  }

  #isLoud(): boolean {
    return this.#failures <= 1 || this.#failures % LOUD_EVERY === 0;
  }
}
