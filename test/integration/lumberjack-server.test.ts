import net from "node:net";
import tls from "node:tls";
import { deflateSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { startLumberjackServer, type LumberjackServer, type LumberjackServerOptions } from "../support/lumberjackServer.ts";
import { getTestCerts } from "../support/tlsCerts.ts";

// The test server is what the lumberjack client is tested against, so it is checked here with a
// raw client whose frames are written by hand, independently of src/.

const w = (size: number) => Buffer.from([0x32, 0x57, ...u32(size)]);
function j(seq: number, event: object): Buffer {
  const json = Buffer.from(JSON.stringify(event));
  return Buffer.concat([Buffer.from([0x32, 0x4a, ...u32(seq), ...u32(json.length)]), json]);
}
function c(...frames: Buffer[]): Buffer {
  const z = deflateSync(Buffer.concat(frames));
  return Buffer.concat([Buffer.from([0x32, 0x43, ...u32(z.length)]), z]);
}
function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return [...b];
}
/** A window of n JSON frames, seq 1..n, events {n: first+i}. */
function windowOf(n: number, first = 1): Buffer {
  return Buffer.concat([w(n), ...Array.from({ length: n }, (_, i) => j(i + 1, { n: first + i }))]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface RawClient {
  socket: net.Socket;
  /** ACK sequence numbers in arrival order, with when they came. */
  acks: number[];
  ackTimes: number[];
  closed: boolean;
  send(data: Buffer): void;
}

function wrap(socket: net.Socket): RawClient {
  const client: RawClient = { socket, acks: [], ackTimes: [], closed: false, send: (d) => void socket.write(d) };
  let buf = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (; buf.length >= 6; buf = buf.subarray(6)) {
      if (buf[0] !== 0x32 || buf[1] !== 0x41) throw new Error(`not an ACK frame: ${buf.toString("hex")}`);
      client.acks.push(buf.readUInt32BE(2));
      client.ackTimes.push(Date.now());
    }
  });
  socket.on("error", () => {});
  socket.on("close", () => (client.closed = true));
  return client;
}

function connect(server: LumberjackServer): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1", () => {
      socket.off("error", reject);
      socket.setNoDelay(true);
      resolve(wrap(socket));
    });
    socket.once("error", reject);
  });
}

function connectTls(server: LumberjackServer, options: tls.ConnectionOptions): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: server.port, ...options }, () => {
      socket.off("error", reject);
      resolve(wrap(socket));
    });
    socket.once("error", reject);
  });
}

let server: LumberjackServer | undefined;
const sockets: net.Socket[] = [];
async function start(opts?: LumberjackServerOptions): Promise<LumberjackServer> {
  server = await startLumberjackServer(opts);
  return server;
}
async function client(s: LumberjackServer): Promise<RawClient> {
  const cl = await connect(s);
  sockets.push(cl.socket);
  return cl;
}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop();
  server = undefined;
});

describe("lumberjack v2 test server", () => {
  it("ACKs the last sequence once a window of J frames is complete, and not before", async () => {
    const s = await start();
    const cl = await client(s);
    // Window header and two events share one chunk; the third comes later.
    cl.send(Buffer.concat([w(3), j(1, { n: 1 }), j(2, { n: 2 })]));
    await until("2 events", () => s.events.length === 2);
    await sleep(50);
    expect(cl.acks).toEqual([]);
    expect(s.acked).toBe(0);
    cl.send(j(3, { n: 3 }));
    await s.waitForAcked(3);
    await until("ACK", () => cl.acks.length === 1);
    expect(cl.acks).toEqual([3]);

    // The next window restarts at seq 1.
    cl.send(windowOf(2, 4));
    await s.waitForAcked(5);
    await until("2nd ACK", () => cl.acks.length === 2);
    expect(cl.acks).toEqual([3, 2]);
    expect(s.events.map((e) => [e.connection, e.window, e.seq, e.event.n, e.compressed])).toEqual([
      [1, 1, 1, 1, false],
      [1, 1, 2, 2, false],
      [1, 1, 3, 3, false],
      [1, 2, 1, 4, false],
      [1, 2, 2, 5, false],
    ]);
    expect(s.windows).toEqual([
      { connection: 1, size: 3, count: 3 },
      { connection: 1, size: 2, count: 2 },
    ]);
    expect(s.connections).toBe(1);
    expect(s.errors).toEqual([]);
    expect(s.address).toBe(`127.0.0.1:${s.port}`);
  });

  it("ACKs pipelined windows in order", async () => {
    const s = await start({ ackDelayMs: 20 });
    const cl = await client(s);
    cl.send(Buffer.concat([windowOf(2), windowOf(3, 3)]));
    await s.waitForAcked(5);
    await until("2 ACKs", () => cl.acks.length === 2);
    expect(cl.acks).toEqual([2, 3]);
  });

  it("decodes a zlib C frame holding J frames", async () => {
    const s = await start();
    const cl = await client(s);
    const big = "x".repeat(10_000); // compresses well, so the C frame is much shorter than its content
    cl.send(Buffer.concat([w(3), c(j(1, { n: 1, big }), j(2, { n: 2 })), j(3, { n: 3, nested: { a: [1, "b"] } })]));
    await s.waitForAcked(3);
    await until("ACK", () => cl.acks.length === 1);
    expect(cl.acks).toEqual([3]);
    expect(s.events.map((e) => [e.seq, e.compressed])).toEqual([
      [1, true],
      [2, true],
      [3, false],
    ]);
    expect(s.events[0]?.event).toEqual({ n: 1, big });
    expect(s.events[2]?.event).toEqual({ n: 3, nested: { a: [1, "b"] } });
    expect(s.errors).toEqual([]);
  });

  it("every:N sends a partial ACK every N events plus the final one", async () => {
    const s = await start({ ackMode: "every:2" });
    const cl = await client(s);
    cl.send(Buffer.concat([w(5), j(1, {}), j(2, {})]));
    await until("partial ACK", () => cl.acks.length === 1);
    expect(cl.acks).toEqual([2]);
    expect(s.acked).toBe(2);
    cl.send(Buffer.concat([j(3, {}), j(4, {}), j(5, {})]));
    await s.waitForAcked(5);
    await until("3 ACKs", () => cl.acks.length === 3);
    expect(cl.acks).toEqual([2, 4, 5]);
  });

  it("never-ack receives but does not ACK until set() says so", async () => {
    const s = await start({ ackMode: "never" });
    const cl = await client(s);
    cl.send(windowOf(2));
    await until("2 events", () => s.events.length === 2);
    const err = await s.waitForAcked(1, 100).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/acked 0; received 2 events on 1 connections; windows \[c1:2\/2\]/);
    expect(cl.acks).toEqual([]);
    s.set({ ackMode: "window" });
    await s.waitForAcked(2);
    await until("ACK", () => cl.acks.length === 1);
    expect(cl.acks).toEqual([2]);
  });

  it("sends ACK <last acked> keep-alives while an ACK is delayed", async () => {
    const s = await start({ ackMode: "every:2", ackDelayMs: 300, keepAliveMs: 40 });
    const cl = await client(s);
    const sent = Date.now();
    cl.send(windowOf(3));
    await s.waitForAcked(3);
    await until("final ACK", () => cl.acks.at(-1) === 3);
    const first = cl.acks.indexOf(2);
    // Keep-alives before the partial ACK repeat 0, after it they repeat 2.
    expect(first).toBeGreaterThanOrEqual(3);
    expect(cl.acks.slice(0, first).every((a) => a === 0)).toBe(true);
    const between = cl.acks.slice(first + 1, -1);
    expect(between.length).toBeGreaterThanOrEqual(3);
    expect(between.every((a) => a === 2)).toBe(true);
    expect(cl.ackTimes[first]! - sent).toBeGreaterThanOrEqual(280);
    // No keep-alives once everything is acknowledged.
    const n = cl.acks.length;
    await sleep(150);
    expect(cl.acks.length).toBe(n);
  });

  it("dropAfterEvents closes the connection mid-window, once per connection", async () => {
    const s = await start({ dropAfterEvents: 3 });
    const first = await client(s);
    first.send(windowOf(5));
    await until("close", () => first.closed);
    expect(s.events.length).toBe(3);
    expect(first.acks).toEqual([]);
    expect(s.acked).toBe(0);

    // A new connection counts from zero again: 2 events are fine, the 3rd drops it.
    const second = await client(s);
    second.send(windowOf(2));
    await s.waitForAcked(2);
    await until("ACK", () => second.acks.length === 1);
    expect(second.closed).toBe(false);
    second.send(windowOf(2));
    await until("2nd close", () => second.closed);
    expect(second.acks).toEqual([2]);
    expect(s.windows).toEqual([
      { connection: 1, size: 5, count: 3 },
      { connection: 2, size: 2, count: 2 },
      { connection: 2, size: 2, count: 1 },
    ]);
    expect(s.errors).toEqual([]);
  });

  it("parses frames split byte by byte", async () => {
    const s = await start();
    const cl = await client(s);
    const data = Buffer.concat([w(4), j(1, { n: 1 }), c(j(2, { n: 2 }), j(3, { n: 3 })), j(4, { n: "ü" })]);
    for (const byte of data) {
      cl.send(Buffer.from([byte]));
      await sleep(1); // separate TCP segments
    }
    await s.waitForAcked(4);
    await until("ACK", () => cl.acks.length === 1);
    expect(cl.acks).toEqual([4]);
    expect(s.events.map((e) => e.event.n)).toEqual([1, 2, 3, "ü"]);
    expect(s.errors).toEqual([]);
  });

  it.each([
    ["bad version", Buffer.from([0x31, 0x57, 0, 0, 0, 1]), /bad version byte 0x31/],
    ["unknown type", Buffer.from([0x32, 0x58, 0, 0, 0, 1]), /unknown frame type 0x58/],
    ["bad zlib", Buffer.concat([w(1), Buffer.from([0x32, 0x43, 0, 0, 0, 4, 1, 2, 3, 4])]), /bad zlib data/],
    ["bad JSON", Buffer.concat([w(1), Buffer.from([0x32, 0x4a, 0, 0, 0, 1, 0, 0, 0, 2]), Buffer.from("{x")]), /bad JSON/],
    ["event outside a window", j(1, {}), /outside any window/],
    ["truncated frame in C", Buffer.concat([w(1), c(j(1, {}).subarray(0, 5))]), /partial frame inside a compressed frame/],
  ])("closes the connection on %s and records the error", async (_name, data, message) => {
    const s = await start();
    const cl = await client(s);
    cl.send(data);
    await until("close", () => cl.closed);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatch(message);
    expect(s.events).toEqual([]);
    // The server itself carries on.
    const next = await client(s);
    next.send(windowOf(1));
    await s.waitForAcked(1);
  });

  it("serves TLS to a client trusting the test CA and fails the handshake for another CA", async () => {
    const certs = getTestCerts();
    const s = await start({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    await expect(connectTls(s, { ca: certs.otherCa })).rejects.toThrow(/unable to (verify|get local issuer)/i);
    await until("server sees the failed handshake", () => s.errors.length > 0);
    expect(s.connections).toBe(0);

    const good = await connectTls(s, { ca: certs.ca });
    sockets.push(good.socket);
    expect((good.socket as tls.TLSSocket).authorized).toBe(true);
    good.send(windowOf(2));
    await s.waitForAcked(2);
    await until("ACK", () => good.acks.length === 1);
    expect(good.acks).toEqual([2]);
    expect(s.connections).toBe(1);
    // "localhost" is in the certificate too.
    const byName = await connectTls(s, { ca: certs.ca, servername: "localhost" });
    byName.socket.destroy();
  });

  it("with requestCert, requires a client certificate signed by the CA", async () => {
    const certs = getTestCerts();
    const s = await start({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });
    // With TLS 1.3 the client may finish its side before the server refuses it, so look for the close.
    const anon = await connectTls(s, { ca: certs.ca }).catch(() => undefined);
    if (anon) {
      sockets.push(anon.socket);
      anon.send(windowOf(1));
      await until("refused", () => anon.closed);
    }
    expect(s.events).toEqual([]);
    expect(s.connections).toBe(0);

    const mutual = await connectTls(s, { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    sockets.push(mutual.socket);
    mutual.send(windowOf(1));
    await s.waitForAcked(1);
    expect(s.connections).toBe(1);
  });

  it("down() refuses connections and cuts existing ones; restart() listens on the same port", async () => {
    const s = await start();
    const port = s.port;
    const cl = await client(s);
    cl.send(windowOf(1));
    await s.waitForAcked(1);

    await s.down();
    await until("close", () => cl.closed);
    await expect(connect(s)).rejects.toMatchObject({ code: "ECONNREFUSED" });

    await s.restart();
    expect(s.port).toBe(port);
    const again = await client(s);
    again.send(windowOf(2));
    await s.waitForAcked(3);
    await until("ACK", () => again.acks.length === 1);
    expect(again.acks).toEqual([2]);
    expect(s.connections).toBe(2);
  });

  it("restart() reuses an explicitly chosen port", async () => {
    const probe = await start();
    const port = probe.port;
    await probe.stop();
    const s = await start({ port });
    expect(s.port).toBe(port);
    await s.down();
    await s.restart();
    expect(s.port).toBe(port);
    const cl = await client(s);
    cl.send(windowOf(1));
    await s.waitForAcked(1);
  });

  it("rejects a malformed ackMode", async () => {
    await expect(startLumberjackServer({ ackMode: "every:0" })).rejects.toThrow(/ackMode/);
    const s = await start();
    expect(() => s.set({ ackMode: "sometimes" as "never" })).toThrow(/ackMode/);
  });
});
