import net from "node:net";
import tls from "node:tls";
import { inflateSync } from "node:zlib";

// A lumberjack v2 (Beats protocol) server for tests, standing in for Logstash's beats input or the
// LogRhythm Open Collector. Wire format, as in elastic/go-lumber (protocol/v2, server/v2) and
// logstash-input-beats (BeatsParser, BeatsHandler, ConnectionHandler):
//   every frame: version '2', type byte, then the payload; integers are uint32 big-endian.
//   client → server: 'W' window size; 'J' seq, length, JSON; 'C' length, zlib stream of frames.
//   server → client: 'A' seq — every event of the window up to seq is acknowledged.
// Sequence numbers restart at 1 in every window; several windows may be in flight on a connection
// (go-lumber's AsyncClient pipelines them), and they are acknowledged in order.

/** How the server behaves; everything can be changed at run time with {@link LumberjackServer.set}. */
export interface LumberjackServerOptions {
  /** 0 (default) = any free port; restart() reuses the same port. */
  port?: number;
  /** false: count events (`received`) without keeping them, for benchmarks of millions of events. Default true. */
  keepEvents?: boolean;
  /**
   * false: check only that each JSON frame's payload looks like an object's text (`{…}`) instead of
   * parsing it (events are then `{}`): for benchmarks on a small machine, where parsing would take
   * the CPU the client under test needs. Default true.
   */
  parseJson?: boolean;
  /** PEM material: serve TLS. With requestCert the client must present a certificate signed by `ca`. */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  /** How the server acknowledges: "window" (default) = one ACK of the last sequence when the window is complete; "every:N" = a partial ACK every N events plus the final one; "never" = receive but never ACK. */
  ackMode?: "window" | `every:${number}` | "never";
  /** Delay before each ACK is sent (ms). */
  ackDelayMs?: number;
  /** While an ACK is delayed, send `ACK <last acked>` keep-alives this often (ms) — as Logstash does while busy. 0 = off. */
  keepAliveMs?: number;
  /** Close the connection abruptly after receiving this many events in total on it (once per connection, then reset), to simulate a collector that drops mid-window. */
  dropAfterEvents?: number;
}

/** One event as received, whether it was acknowledged or not. */
export interface ReceivedEvent {
  /** 1-based number of the connection it came on (see {@link LumberjackServer.connections}). */
  connection: number;
  /** 1-based number of the window on that connection. */
  window: number;
  /** Sequence number the client gave it (1-based within the window). */
  seq: number;
  event: Record<string, unknown>;
  /** Whether it came inside a 'C' (zlib) frame. */
  compressed: boolean;
}

/** A running test server; see {@link startLumberjackServer}. */
export interface LumberjackServer {
  readonly port: number;
  /** "127.0.0.1:PORT". */
  readonly address: string;
  /** In arrival order, ACKed or not. */
  readonly events: ReceivedEvent[];
  /** Events received in all, kept or not (see keepEvents). */
  readonly received: number;
  /** Events the server has acknowledged (partial ACKs count what they cover). */
  readonly acked: number;
  /** Connections accepted so far (for TLS: completed handshakes). */
  readonly connections: number;
  /** Window sizes announced and events received in them, in announcement order. */
  readonly windows: Array<{ connection: number; size: number; count: number }>;
  /** Protocol errors (each closed its connection), sequence-number anomalies and TLS handshake failures. */
  readonly errors: string[];
  /** Change behaviour at run time (e.g. start ACKing): pending windows are re-examined at once; `port` and `tls` apply from the next restart(). */
  set(options: Partial<LumberjackServerOptions>): void;
  /** Stop listening and destroy every connection (a collector that is down); restart() listens again on the same port. */
  down(): Promise<void>;
  restart(): Promise<void>;
  /** Resolves when at least n events were acknowledged (rejects after timeoutMs with a message that says what was received). */
  waitForAcked(n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const VERSION = 0x32; // '2'
const WINDOW = 0x57; // 'W'
const JSON_FRAME = 0x4a; // 'J'
const COMPRESSED = 0x43; // 'C'
const ACK = 0x41; // 'A'
/** Refuse absurd lengths: garbage that passes the version check must not make us buffer gigabytes. */
const MAX_FRAME = 64 * 1024 * 1024;

class ProtocolError extends Error {}

interface Window {
  /** Entry shared with `server.windows`, so its count stays current. */
  stats: { connection: number; size: number; count: number };
  number: number;
  seqs: number[];
  /** Events covered by ACKs sent so far, and the sequence of the last ACK. */
  ackedCount: number;
  ackedSeq: number;
}

interface Conn {
  id: number;
  socket: net.Socket;
  buf: Buffer;
  windowsSeen: number;
  /** Windows not fully acknowledged yet, oldest first; the last one may still be receiving. */
  pending: Window[];
  received: number;
  closed: boolean;
  ackTimer?: NodeJS.Timeout;
  keepAlive?: NodeJS.Timeout;
}

function ackEvery(mode: string | undefined): number | undefined {
  if (mode === undefined || mode === "window" || mode === "never") return undefined;
  const m = /^every:(\d+)$/.exec(mode);
  const n = m ? Number(m[1]) : 0;
  if (!(n >= 1)) throw new Error(`ackMode must be "window", "every:N" (N ≥ 1) or "never", not ${JSON.stringify(mode)}`);
  return n;
}

function ackFrame(seq: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = VERSION;
  b[1] = ACK;
  b.writeUInt32BE(seq, 2);
  return b;
}

/** Starts a lumberjack v2 server on 127.0.0.1. */
export async function startLumberjackServer(opts: LumberjackServerOptions = {}): Promise<LumberjackServer> {
  const options: LumberjackServerOptions = { ...opts };
  ackEvery(options.ackMode); // validate early
  const events: ReceivedEvent[] = [];
  let received = 0;
  const windows: LumberjackServer["windows"] = [];
  const errors: string[] = [];
  const conns = new Set<Conn>();
  /** Every TCP socket, including TLS handshakes not finished yet, so that down() can cut them all. */
  const sockets = new Set<net.Socket>();
  const waiters = new Set<() => void>();
  let acked = 0;
  let connections = 0;
  let port = options.port ?? 0;
  let listener: net.Server | undefined;

  function describe(): string {
    const w = windows.map((x) => `c${x.connection}:${x.count}/${x.size}`).join(" ");
    return `acked ${acked}; received ${events.length} events on ${connections} connections; ` + `windows [${w}]; errors [${errors.join("; ")}]`;
  }

  function fail(conn: Conn, message: string): void {
    errors.push(`connection ${conn.id}: ${message}`);
    closeConn(conn);
  }

  function closeConn(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    clearTimeout(conn.ackTimer);
    clearInterval(conn.keepAlive);
    conns.delete(conn);
    conn.socket.destroy();
  }

  // ---- parsing ----

  /** Parses whole frames from buf; returns the bytes consumed (a partial frame stays for later). */
  function parse(conn: Conn, buf: Buffer, compressed: boolean): number {
    let off = 0;
    while (!conn.closed && buf.length - off >= 2) {
      if (buf[off] !== VERSION) throw new ProtocolError(`bad version byte 0x${buf[off]!.toString(16)}`);
      const type = buf[off + 1]!;
      if (type === WINDOW) {
        if (buf.length - off < 6) break;
        onWindow(conn, buf.readUInt32BE(off + 2));
        off += 6;
      } else if (type === JSON_FRAME) {
        if (buf.length - off < 10) break;
        const len = buf.readUInt32BE(off + 6);
        if (len > MAX_FRAME) throw new ProtocolError(`JSON frame of ${len} bytes`);
        if (buf.length - off < 10 + len) break;
        let event: unknown = {};
        if (options.parseJson === false) {
          if (len < 2 || buf[off + 10] !== 0x7b || buf[off + 9 + len] !== 0x7d) throw new ProtocolError("JSON frame is not an object");
        } else {
          try {
            event = JSON.parse(buf.toString("utf8", off + 10, off + 10 + len));
          } catch (e) {
            throw new ProtocolError(`bad JSON: ${(e as Error).message}`);
          }
        }
        if (typeof event !== "object" || event === null || Array.isArray(event)) {
          throw new ProtocolError("JSON frame is not an object");
        }
        onEvent(conn, buf.readUInt32BE(off + 2), event as Record<string, unknown>, compressed);
        off += 10 + len;
      } else if (type === COMPRESSED) {
        if (buf.length - off < 6) break;
        const len = buf.readUInt32BE(off + 2);
        if (len > MAX_FRAME) throw new ProtocolError(`compressed frame of ${len} bytes`);
        if (buf.length - off < 6 + len) break;
        let inner: Buffer;
        try {
          inner = inflateSync(buf.subarray(off + 6, off + 6 + len));
        } catch (e) {
          throw new ProtocolError(`bad zlib data: ${(e as Error).message}`);
        }
        // The spec requires whole frames inside a compressed frame.
        const used = parse(conn, inner, true);
        if (!conn.closed && used !== inner.length) throw new ProtocolError("partial frame inside a compressed frame");
        off += 6 + len;
      } else {
        throw new ProtocolError(`unknown frame type 0x${type.toString(16)}`);
      }
    }
    return off;
  }

  function onWindow(conn: Conn, size: number): void {
    const last = conn.pending.at(-1);
    // go-lumber's server rejects this too: it reads exactly `size` events after a 'W'.
    if (last && last.seqs.length < last.stats.size) {
      throw new ProtocolError(`window announced after ${last.seqs.length} of ${last.stats.size} events`);
    }
    const stats = { connection: conn.id, size, count: 0 };
    windows.push(stats);
    conn.windowsSeen++;
    if (size > 0) conn.pending.push({ stats, number: conn.windowsSeen, seqs: [], ackedCount: 0, ackedSeq: 0 });
  }

  function onEvent(conn: Conn, seq: number, event: Record<string, unknown>, compressed: boolean): void {
    const w = conn.pending.at(-1);
    if (!w || w.seqs.length >= w.stats.size) throw new ProtocolError(`event seq ${seq} outside any window`);
    // Logstash ACKs the sequence of the last event, go-lumber the count: both assume 1..n, so say so if not.
    if (seq !== w.seqs.length + 1) {
      errors.push(`connection ${conn.id}: window ${w.number}: seq ${seq} where ${w.seqs.length + 1} was expected`);
    }
    w.seqs.push(seq);
    w.stats.count++;
    received++;
    if (options.keepEvents !== false) events.push({ connection: conn.id, window: w.number, seq, event, compressed });
    conn.received++;
    if (options.dropAfterEvents && conn.received >= options.dropAfterEvents) {
      closeConn(conn); // before any ACK of this window can go out
      return;
    }
    pump(conn);
  }

  // ---- acknowledging ----

  /** How many events of the oldest pending window the next ACK should cover, if one is due now. */
  function nextAck(w: Window | undefined): number | undefined {
    if (!w || options.ackMode === "never") return undefined;
    const received = w.seqs.length;
    const size = w.stats.size;
    const every = ackEvery(options.ackMode);
    if (every !== undefined) {
      const boundary = (Math.floor(w.ackedCount / every) + 1) * every;
      if (boundary < size && received >= boundary) return boundary;
    }
    return received === size ? size : undefined;
  }

  /** Schedules the next due ACK of a connection (one at a time, so ACKs go out in order). */
  function pump(conn: Conn): void {
    if (conn.closed || conn.ackTimer || nextAck(conn.pending[0]) === undefined) return;
    const delay = options.ackDelayMs ?? 0;
    if (delay <= 0) {
      sendAck(conn);
      return;
    }
    conn.ackTimer = setTimeout(() => {
      conn.ackTimer = undefined;
      sendAck(conn);
    }, delay);
  }

  function sendAck(conn: Conn): void {
    const w = conn.pending[0];
    const count = nextAck(w); // again: set() may have changed the mode during the delay
    if (conn.closed || !w || count === undefined) return;
    const seq = w.seqs[count - 1]!;
    conn.socket.write(ackFrame(seq));
    acked += count - w.ackedCount;
    w.ackedCount = count;
    w.ackedSeq = seq;
    if (count === w.stats.size) conn.pending.shift();
    for (const check of waiters) check();
    pump(conn);
  }

  /** Like Logstash while its pipeline is busy: repeat the last ACK (0 at the start of a window). */
  function startKeepAlive(conn: Conn): void {
    clearInterval(conn.keepAlive);
    conn.keepAlive = undefined;
    const every = options.keepAliveMs ?? 0;
    if (every <= 0) return;
    conn.keepAlive = setInterval(() => {
      const w = conn.pending[0];
      if (!conn.closed && w && w.seqs.length > w.ackedCount) conn.socket.write(ackFrame(w.ackedSeq));
    }, every);
  }

  // ---- connections and listening ----

  function accept(socket: net.Socket): void {
    const conn: Conn = { id: ++connections, socket, buf: Buffer.alloc(0), windowsSeen: 0, pending: [], received: 0, closed: false };
    conns.add(conn);
    socket.setNoDelay(true);
    startKeepAlive(conn);
    socket.on("data", (chunk: Buffer) => {
      if (conn.closed) return;
      conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
      try {
        conn.buf = conn.buf.subarray(parse(conn, conn.buf, false));
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        fail(conn, e.message);
      }
    });
    socket.on("error", () => {}); // resets by the client are part of the tests, not failures
    socket.on("end", () => closeConn(conn));
    socket.on("close", () => closeConn(conn));
  }

  async function listen(): Promise<void> {
    const t = options.tls;
    const server = t
      ? tls.createServer({ key: t.key, cert: t.cert, ca: t.ca, requestCert: t.requestCert ?? false, rejectUnauthorized: t.requestCert ?? false })
      : net.createServer();
    server.on("connection", (socket: net.Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    if (t) {
      server.on("secureConnection", accept);
      server.on("tlsClientError", (err: Error) => errors.push(`tls: ${err.message}`));
    } else {
      server.on("connection", accept);
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    port = (server.address() as net.AddressInfo).port;
    listener = server;
  }

  async function down(): Promise<void> {
    const server = listener;
    listener = undefined;
    for (const conn of [...conns]) closeConn(conn);
    for (const socket of sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  await listen();

  return {
    get port() {
      return port;
    },
    get address() {
      return `127.0.0.1:${port}`;
    },
    events,
    get received() {
      return received;
    },
    get acked() {
      return acked;
    },
    get connections() {
      return connections;
    },
    windows,
    errors,
    set(changes) {
      ackEvery(changes.ackMode);
      Object.assign(options, changes);
      for (const conn of conns) {
        if ("keepAliveMs" in changes) startKeepAlive(conn);
        pump(conn);
      }
    },
    down,
    async restart() {
      if (!listener) await listen();
    },
    waitForAcked(n, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (acked < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`waitForAcked(${n}) timed out after ${timeoutMs} ms: ${describe()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      await down();
    },
  };
}
