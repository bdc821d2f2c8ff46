/**
 * One lumberjack v2 connection (TCP or TLS) to one collector host. A window is the window frame and
 * its JSON frames (compressed or not), acknowledged by ACKs up to its last sequence number. Several
 * windows may be in flight (libbeat's `pipelining`): they are written in the order sendWindow was
 * called and the server acknowledges them in that order, so ACKs always belong to the oldest window
 * not fully acknowledged (as go-lumber's async client reads them). Knows nothing of batches or
 * retries; the output does.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { LogstashHost } from "../../config/settings.ts";
import { AckParser, encodeWindow } from "./frames.ts";
import { isTlsError, tlsConnectOptions, tlsHandshakeError, tlsSessionError, type TlsMaterial } from "./tls.ts";

export interface ConnectionOptions {
  host: LogstashHost;
  /** TLS material; undefined: plain TCP. */
  tls?: TlsMaterial;
  /** Connect timeout, and the longest wait for an ACK or keep-alive while a window is out. */
  timeoutMs: number;
  /** zlib level 1–9 sends each window as one compressed frame; 0 sends plain JSON frames. */
  compressionLevel: number;
  /** Aborting it destroys the socket (a connect in progress rejects). */
  signal?: AbortSignal;
}

/** A window that did not complete; `acked` of its `size` events (the first ones) were acknowledged. */
export class WindowError extends Error {
  override name = "WindowError";
  readonly acked: number;
  readonly size: number;

  constructor(message: string, acked: number, size: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.acked = acked;
    this.size = size;
  }
}

/** `host:port`, with brackets around an IPv6 address. */
export function hostAddress(h: LogstashHost): string {
  return h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}

interface InFlight {
  size: number;
  acked: number;
  onAcked: (acked: number) => void;
  resolve(): void;
  reject(err: WindowError): void;
}

const KEEPALIVE_PROBE_MS = 60_000;
/** How long a closed connection waits for the server's FIN before the socket is destroyed. */
const LINGER_MS = 1_000;

export class LumberjackConnection {
  /** `host:port`, for messages. */
  readonly address: string;
  /** When the connection was established (Date.now()), for the output's ttl. */
  readonly openedAt: number;
  readonly #socket: Socket;
  readonly #options: ConnectionOptions;
  readonly #parser = new AckParser();
  /** Windows sent (or being encoded), oldest first. */
  #windows: InFlight[] = [];
  /** Settles once the latest window's frames were handed to the socket: the next one writes after it. */
  #written: Promise<void> = Promise.resolve();
  /** Whether the server ever sent an ACK: one that closes at once may expect TLS. */
  #everAcked = false;
  #timer: NodeJS.Timeout | undefined;
  /** Why the socket is unusable; undefined while it is open. */
  #endedBy: string | undefined;
  #lastError: Error | undefined;

  private constructor(socket: Socket, options: ConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.address = hostAddress(options.host);
    this.openedAt = Date.now();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_PROBE_MS);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    // Any of these ends the connection at once: after an error a TLS socket may not emit 'close'
    // while written data is stuck in it, and after the server's FIN no ACK can come.
    socket.on("error", (err) => {
      this.#lastError ??= options.tls && isTlsError(err) ? tlsSessionError(err) : err;
      this.#fail(this.#lastError.message);
    });
    socket.on("end", () =>
      this.#fail(
        this.#everAcked || options.tls
          ? "connection closed by the server"
          : "connection closed by the server before any ACK (if its Beats input uses TLS, configure output.logstash.ssl)",
      ),
    );
    socket.on("close", () => this.#fail(this.#lastError ? this.#lastError.message : "connection closed by the server"));
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /**
   * Connects (and completes the TLS handshake). Rejects with a message naming the host and, for
   * TLS, the setting to check; or after `timeoutMs`.
   */
  static open(options: ConnectionOptions): Promise<LumberjackConnection> {
    const { host, port } = options.host;
    const address = hostAddress(options.host);
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(new Error(`connecting to ${address} aborted`));
      const socket = options.tls ? tlsConnect({ host, port, ...tlsConnectOptions(options.tls, host) }) : netConnect({ host, port });
      let tcpUp = false;
      const cleanup = () => {
        clearTimeout(timer);
        socket.removeListener("error", onError);
        socket.removeListener("close", onClose);
        options.signal?.removeEventListener("abort", onAbort);
      };
      const fail = (err: Error) => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onError = (err: Error) => {
        if (!tcpUp) fail(new Error(`cannot connect to ${address}: ${connectHint(err)}`, { cause: err }));
        else fail(options.tls ? tlsHandshakeError(address, err) : err);
      };
      const onClose = () => onError(new Error("connection closed during the handshake"));
      const onAbort = () => fail(new Error(`connecting to ${address} aborted`));
      const timer = setTimeout(
        () => fail(new Error(`${tcpUp ? `TLS handshake with ${address}` : `connecting to ${address}`} timed out after ${options.timeoutMs / 1000}s`)),
        options.timeoutMs,
      );
      socket.once("connect", () => {
        tcpUp = true;
      });
      socket.once(options.tls ? "secureConnect" : "connect", () => {
        cleanup();
        resolve(new LumberjackConnection(socket, options));
      });
      socket.on("error", onError);
      socket.on("close", onClose);
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** False once the socket failed or was closed (by either side); open a new connection then. */
  get isOpen(): boolean {
    return this.#endedBy === undefined;
  }

  /** Why the connection ended, if it did. */
  get endReason(): string | undefined {
    return this.#endedBy;
  }

  /**
   * Sends `events` as one window (sequence numbers 1..n) and resolves once the server acknowledged
   * the last one. `onAcked(k)` reports progress: events 1..k are acknowledged (partial ACKs). ACKs
   * that do not advance (ACK 0, a repeated ACK) are keep-alives: they only restart the timeout.
   * May be called again before an earlier window is acknowledged (the caller bounds how many).
   * Rejects with a WindowError saying how many events were acknowledged, and the connection is
   * closed; rejects with another error, the connection staying usable, when the window cannot be encoded.
   */
  sendWindow(events: readonly unknown[], onAcked: (acked: number) => void = () => undefined): Promise<void> {
    const size = events.length;
    if (size === 0) return Promise.resolve();
    if (this.#endedBy !== undefined) return Promise.reject(new WindowError(`connection to ${this.address} closed: ${this.#endedBy}`, 0, size));
    let window!: InFlight;
    const done = new Promise<void>((resolve, reject) => {
      window = { size, acked: 0, onAcked, resolve, reject };
    });
    this.#windows.push(window);
    const previous = this.#written;
    const write = (async () => {
      let frames: Buffer[];
      try {
        frames = await encodeWindow(events, this.#options.compressionLevel);
      } catch (err) {
        // Never written: later windows keep their place in the server's order.
        this.#windows.splice(this.#windows.indexOf(window), 1);
        window.reject(err as WindowError);
        return;
      }
      await previous;
      if (!this.#windows.includes(window)) return; // the connection failed meanwhile
      if (this.#windows[0] === window) this.#armTimer();
      this.#socket.cork();
      for (const f of frames) this.#socket.write(f);
      this.#socket.uncork();
    })();
    this.#written = write;
    return done;
  }

  /** Closes the connection. Windows still in flight are rejected. */
  close(): void {
    if (this.#endedBy !== undefined) return;
    this.#fail("closed by s3beat", false);
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), LINGER_MS).unref();
  }

  #onData(chunk: Buffer): void {
    let seqs: number[];
    try {
      seqs = this.#parser.push(chunk);
    } catch (err) {
      this.#fail(`protocol error: ${(err as Error).message}`);
      return;
    }
    if (seqs.length > 0) this.#everAcked = true;
    for (const seq of seqs) {
      const w = this.#windows[0];
      if (w === undefined) break; // a keep-alive between windows
      if (seq > w.size) {
        this.#fail(`protocol error: ACK for sequence number ${seq} in a window of ${w.size} events`);
        return;
      }
      if (seq > w.acked) {
        w.acked = seq;
        w.onAcked(seq);
      }
      if (w.acked === w.size) {
        this.#windows.shift();
        w.resolve();
      }
    }
    if (this.#windows.length === 0) clearTimeout(this.#timer);
    else if (seqs.length > 0) this.#armTimer();
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#fail(`no ACK or keep-alive within ${this.#options.timeoutMs / 1000}s (output.logstash.timeout)`);
    }, this.#options.timeoutMs);
  }

  readonly #onAbort = (): void => {
    this.#fail("aborted");
  };

  /** Marks the connection dead (first reason wins), rejects the windows in flight, destroys the socket unless asked not to. */
  #fail(reason: string, destroy = true): void {
    clearTimeout(this.#timer);
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    if (this.#endedBy === undefined) this.#endedBy = reason;
    const windows = this.#windows;
    this.#windows = [];
    if (destroy) this.#socket.destroy();
    for (const w of windows) {
      w.reject(
        new WindowError(
          `connection to ${this.address} failed: ${this.#endedBy} (${w.acked} of ${w.size} events of the window acknowledged)`,
          w.acked,
          w.size,
          this.#lastError,
        ),
      );
    }
  }
}

/** The operator's next step for a failed TCP connect. */
function connectHint(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED":
      return `${err.message} (is the collector running and listening on that port?)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `${err.message} (the host name does not resolve: check output.logstash.hosts and DNS)`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
      return `${err.message} (no route to the collector: check the network, firewall and security groups)`;
    default:
      return err.message;
  }
}
