import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LogstashOutputSettings, LogstashTlsSettings } from "../../src/config/settings.ts";
import { LumberjackOutput } from "../../src/outputs/lumberjack/output.ts";
import { buildEvent, type BeatEvent } from "../../src/events/event.ts";
import { startLumberjackServer, type LumberjackServer, type LumberjackServerOptions } from "../support/lumberjackServer.ts";
import { getTestCerts } from "../support/tlsCerts.ts";

// The lumberjack output against the test Beats server over real TCP/TLS on 127.0.0.1: ordering,
// compression, TLS, partial ACKs, and every way a collector fails. The invariants checked
// throughout: every event arrives (duplicates allowed, counted), and no publish resolves before
// the server acknowledged its last event.

let dir: string;
let caFile: string;
let otherCaFile: string;
let servers: LumberjackServer[] = [];
let outputs: LumberjackOutput[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "s3beat-lumberjack-"));
  const certs = getTestCerts();
  caFile = join(dir, "ca.pem");
  otherCaFile = join(dir, "other-ca.pem");
  await writeFile(caFile, certs.ca);
  await writeFile(otherCaFile, certs.otherCa);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(outputs.map((o) => o.destroy("test over")));
  await Promise.all(servers.map((s) => s.stop()));
  outputs = [];
  servers = [];
});

async function server(opts: LumberjackServerOptions = {}): Promise<LumberjackServer> {
  const s = await startLumberjackServer(opts);
  servers.push(s);
  return s;
}

function tlsServer(opts: LumberjackServerOptions = {}): Promise<LumberjackServer> {
  const c = getTestCerts();
  return server({ ...opts, tls: { key: c.serverKey, cert: c.serverCert } });
}

/** Log lines (parsed pino JSON) of one output. */
function memoryLog(): { log: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, lines };
}
const WARN = 40;

function output(hosts: LumberjackServer[] | string[], overrides: Partial<LogstashOutputSettings> = {}, log: Logger = memoryLog().log): LumberjackOutput {
  const settings: LogstashOutputSettings = {
    kind: "logstash",
    hosts: hosts.map((h) => {
      const address = typeof h === "string" ? h : h.address;
      const [host, port] = address.split(":");
      return { host: host!, port: Number(port) };
    }),
    loadbalance: false,
    compressionLevel: 3,
    bulkMaxSize: 2048,
    pipelining: 2,
    timeoutSeconds: 5,
    backoffInitSeconds: 0.05,
    backoffMaxSeconds: 0.2,
    ttlSeconds: 0,
    ...overrides,
  };
  const o = new LumberjackOutput(settings, log);
  outputs.push(o);
  return o;
}

const tlsSettings = (ca: string, mode: LogstashTlsSettings["verificationMode"] = "full"): LogstashTlsSettings => ({
  certificateAuthorities: [ca],
  verificationMode: mode,
});

/** Events `event 000000` … numbered from `from`. */
function events(count: number, from = 0): BeatEvent[] {
  const ref = { bucket: "logs", key: "app/01.log", region: "eu-west-1" };
  return Array.from({ length: count }, (_, i) =>
    buildEvent(ref, { offset: from + i, text: `event ${String(from + i).padStart(6, "0")}`, truncated: false }, "0.1.0"),
  );
}

const messages = (s: LumberjackServer | LumberjackServer[]) => (Array.isArray(s) ? s : [s]).flatMap((x) => x.events.map((e) => String(e.event.message)));
const totalAcked = (s: LumberjackServer[]) => s.reduce((n, x) => n + x.acked, 0);

interface Tracked {
  promise: Promise<void>;
  resolved: boolean;
  /** Events the server(s) had acknowledged when the publish resolved. */
  ackedAtResolve: number;
}

/**
 * Publishes `batch` and records when it resolves. `lastEvent` is the 1-based position of its last
 * event in the whole stream: the server must have acknowledged at least that many events by then
 * (one sender: events go out in order and re-sends start after the last ACK, so its last event
 * being acknowledged means at least this many acknowledgements).
 */
function publish(o: LumberjackOutput, batch: BeatEvent[], acked: () => number): Tracked {
  const t: Tracked = { resolved: false, ackedAtResolve: -1, promise: Promise.resolve() };
  t.promise = o.publish(batch).then(() => {
    t.ackedAtResolve = acked();
    t.resolved = true;
  });
  t.promise.catch(() => undefined); // tests that expect a rejection await it themselves
  return t;
}

/** Publishes `batches` batches of `size` and checks each resolved only after its last event was acknowledged. */
async function publishAll(o: LumberjackOutput, srv: LumberjackServer[], batches: number, size: number): Promise<Tracked[]> {
  const tracked = Array.from({ length: batches }, (_, i) => publish(o, events(size, i * size), () => totalAcked(srv)));
  await Promise.all(tracked.map((t) => t.promise));
  tracked.forEach((t, i) => expect(t.ackedAtResolve, `batch ${i}`).toBeGreaterThanOrEqual((i + 1) * size));
  return tracked;
}

/** The expected messages of `n` events, in order. */
const expected = (n: number) => events(n).map((e) => e.message);

/** Each message once, in order of first arrival; and how many arrived more than once. */
function distinct(received: string[]): { firstArrivals: string[]; duplicates: number } {
  const seen = new Set<string>();
  const firstArrivals = received.filter((m) => !seen.has(m) && seen.add(m));
  return { firstArrivals, duplicates: received.length - firstArrivals.length };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("lumberjack output: delivery", () => {
  it.each([
    { level: 0, compressed: false },
    { level: 3, compressed: true },
  ])("compression_level $level: events arrive once, in order, with slow start windows", async ({ level, compressed }) => {
    const srv = await server();
    // pipelining 0: each window is cut after the previous one's ACK grew the window.
    const o = output([srv], { compressionLevel: level, pipelining: 0 });
    await publishAll(o, [srv], 10, 100);
    expect(messages(srv)).toEqual(expected(1000));
    expect(srv.events.every((e) => e.compressed === compressed)).toBe(true);
    expect(srv.events.map((e) => e.seq).slice(0, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2]);
    // Slow start: 10, then 15, 23, … (the last window holds what is left).
    expect(srv.windows.slice(0, 4).map((w) => w.size)).toEqual([10, 15, 23, 35]);
    expect(srv.connections).toBe(1);
    expect(srv.errors).toEqual([]);
  });

  it("windows never exceed bulk_max_size, and span batches", async () => {
    const srv = await server();
    const o = output([srv], { bulkMaxSize: 25, pipelining: 0 });
    await publishAll(o, [srv], 20, 7);
    expect(messages(srv)).toEqual(expected(140));
    expect(Math.max(...srv.windows.map((w) => w.size))).toBe(25);
    expect(srv.windows.some((w) => w.size > 7)).toBe(true); // a window held more than one batch
  });

  it("pipelining 2: three windows in flight on one connection before any ACK, then all delivered once, in order", async () => {
    const srv = await server({ ackMode: "never" });
    const o = output([srv], { pipelining: 2 });
    const tracked = Array.from({ length: 10 }, (_, i) => publish(o, events(10, i * 10), () => srv.acked));
    await until("three windows", () => srv.windows.length >= 3, 5_000);
    // No fourth window while none of the three is acknowledged. A fixed wait, as it proves that
    // something does not happen; short, as the output sends a window within milliseconds.
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.windows.map((w) => [w.connection, w.size])).toEqual([
      [1, 10],
      [1, 10],
      [1, 10],
    ]);
    expect(tracked.some((t) => t.resolved)).toBe(false);
    srv.set({ ackMode: "window" });
    await Promise.all(tracked.map((t) => t.promise));
    expect(messages(srv)).toEqual(expected(100));
    expect(srv.connections).toBe(1);
    expect(srv.errors).toEqual([]);
  });

  it("pipelining 0: one window at a time", async () => {
    const srv = await server({ ackMode: "never" });
    const o = output([srv], { pipelining: 0 });
    const tracked = publish(o, events(30), () => srv.acked);
    await until("a window", () => srv.windows.length >= 1, 5_000);
    // A fixed wait: it proves no second window is sent before the ACK (short, as above).
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.windows).toHaveLength(1);
    srv.set({ ackMode: "window" });
    await tracked.promise;
    expect(messages(srv)).toEqual(expected(30));
  });

  it("events keep their fields through JSON framing (unicode, large messages)", async () => {
    const srv = await server();
    const o = output([srv]);
    const batch = events(3);
    batch[1]!.message = 'ünïcødé ✓ \u0000 "quoted"';
    batch[2]!.message = "x".repeat(300_000);
    await o.publish(batch);
    expect(srv.events.map((e) => e.event)).toEqual(JSON.parse(JSON.stringify(batch)));
  });

  it("a batch with an event that cannot be serialized fails alone; the next batch is delivered", async () => {
    const srv = await server();
    const o = output([srv]);
    const poison = events(2);
    (poison[1] as unknown as { n: bigint }).n = 1n;
    await expect(o.publish(poison)).rejects.toThrow(/cannot encode events.*BigInt/);
    await o.publish(events(3, 2));
    expect(messages(srv)).toEqual(expected(5).slice(2));
  });

  it("a connection the collector closed while idle is replaced quietly (not a failure)", async () => {
    const srv = await server();
    const { log, lines } = memoryLog();
    const o = output([srv], {}, log);
    await o.publish(events(5));
    await srv.down(); // closes the idle connection
    await srv.restart();
    // A fixed wait: the output learns of the close from its socket's close event, which leaves no
    // trace until the next publish (the one this test checks), so there is no condition to wait on.
    await sleep(50);
    await o.publish(events(5, 5));
    expect(srv.connections).toBe(2);
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(lines.some((l) => /closed while idle/.test(l.msg))).toBe(true);
  });

  it("an empty publish resolves at once; close waits for pending batches; publish after close rejects", async () => {
    const srv = await server({ ackDelayMs: 300 });
    const o = output([srv]);
    await o.publish([]);
    const t = publish(o, events(5), () => srv.acked);
    await until("events to arrive", () => srv.events.length === 5);
    await o.close();
    expect(t.resolved).toBe(true);
    expect(t.ackedAtResolve).toBe(5);
    await expect(o.publish(events(1))).rejects.toThrow(/closed/);
  });
});

describe("lumberjack output: TLS", () => {
  it("verification full with the test CA", async () => {
    const srv = await tlsServer();
    const o = output([srv], { ssl: tlsSettings(caFile) });
    await publishAll(o, [srv], 3, 50);
    expect(messages(srv)).toEqual(expected(150));
    expect(srv.errors).toEqual([]);
  });

  it.each(["localhost", "127.0.0.1"])("the host name %s is checked against the certificate's names", async (host) => {
    const srv = await tlsServer();
    const o = output([`${host}:${srv.port}`], { ssl: tlsSettings(caFile, "strict") });
    await publishAll(o, [srv], 1, 5);
    expect(srv.events).toHaveLength(5);
  });

  it("a wrong CA fails with a clear message; the batch stays pending and undelivered", async () => {
    const srv = await tlsServer();
    const { log, lines } = memoryLog();
    const o = output([srv], { ssl: tlsSettings(otherCaFile) }, log);
    const t = publish(o, events(10), () => srv.acked);
    await until("the TLS failure to be logged", () => lines.some((l) => l.level >= WARN && /TLS handshake/.test(l.msg)));
    const warning = lines.find((l) => l.level >= WARN && /TLS handshake/.test(l.msg))!.msg;
    expect(warning).toMatch(
      new RegExp(
        `TLS handshake with 127\\.0\\.0\\.1:${srv.port} failed: (unable to verify the first certificate|self-signed certificate in certificate chain) — check output\\.logstash\\.ssl\\.certificate_authorities \\(or verification_mode\\)`,
      ),
    );
    await until("several retries", () => lines.filter((l) => /TLS handshake/.test(l.msg)).length > 2);
    expect(t.resolved).toBe(false);
    expect(srv.events).toHaveLength(0);
    expect(srv.errors.some((e) => /tls/.test(e))).toBe(true);
    // Retries are not logged one by one at warn level.
    expect(lines.filter((l) => l.level >= WARN).length).toBeLessThanOrEqual(2);
    expect(lines.filter((l) => /TLS handshake/.test(l.msg)).length).toBeGreaterThan(2);
    await o.destroy("test over");
    await expect(t.promise).rejects.toThrow(/before the collector acknowledged/);
  });

  it("verification_mode certificate accepts a host name the certificate does not name; full refuses it", async () => {
    const srv = await tlsServer();
    // "127.1" reaches 127.0.0.1 but is not a name the certificate holds (127.0.0.1 and localhost).
    const { log, lines } = memoryLog();
    const refused = output([`127.1:${srv.port}`], { ssl: tlsSettings(caFile, "full") }, log);
    const t = publish(refused, events(1), () => srv.acked);
    await until("the host name failure", () => lines.some((l) => /TLS handshake/.test(l.msg)));
    expect(lines.find((l) => /TLS handshake/.test(l.msg))!.msg).toMatch(/not issued for this host name.*verification_mode: certificate/);
    expect(t.resolved).toBe(false);
    await refused.destroy();
    await t.promise.catch(() => undefined);

    const accepted = output([`127.1:${srv.port}`], { ssl: tlsSettings(caFile, "certificate") });
    await accepted.publish(events(3));
    expect(srv.events).toHaveLength(3);
  });

  it("verification_mode none connects without a CA, with a warning", async () => {
    const srv = await tlsServer();
    const { log, lines } = memoryLog();
    const o = output([srv], { ssl: { certificateAuthorities: [], verificationMode: "none" } }, log);
    await o.publish(events(2));
    expect(srv.events).toHaveLength(2);
    expect(lines.some((l) => l.level === WARN && /verification_mode is none/.test(l.msg))).toBe(true);
  });

  it("a client certificate for a collector that demands one", async () => {
    const c = getTestCerts();
    const srv = await server({ tls: { key: c.serverKey, cert: c.serverCert, ca: c.ca, requestCert: true } });
    const certFile = join(dir, "client.pem");
    const keyFile = join(dir, "client.key");
    await writeFile(certFile, c.clientCert);
    await writeFile(keyFile, c.clientKey);
    const o = output([srv], { ssl: { ...tlsSettings(caFile), certificate: certFile, key: keyFile } });
    await o.publish(events(4));
    expect(srv.events).toHaveLength(4);

    const { log, lines } = memoryLog();
    const without = output([srv], { ssl: tlsSettings(caFile) }, log);
    const t = publish(without, events(1), () => 0);
    await until("the refusal", () => lines.some((l) => l.level >= WARN));
    // TLS 1.3: the handshake completes, then the collector refuses the session with an alert.
    expect(lines.find((l) => l.level >= WARN)!.msg).toMatch(
      /127\.0\.0\.1:\d+.*certificate required — the collector may demand a client certificate: check output\.logstash\.ssl\.certificate and ssl\.key/,
    );
    expect(t.resolved).toBe(false);
    expect(srv.events).toHaveLength(4);
  });

  it.each([
    {
      name: "plain TCP to a TLS input",
      tlsServer: true,
      ssl: undefined,
      message: /closed by the server before any ACK \(if its Beats input uses TLS, configure output\.logstash\.ssl\)/,
    },
    {
      name: "TLS to a plain input",
      tlsServer: false,
      ssl: true,
      message:
        /TLS handshake with 127\.0\.0\.1:\d+ failed: .* — is TLS enabled on the collector's Beats input\? \(otherwise set output\.logstash\.ssl\.enabled: false\)/,
    },
  ])("$name: the message says which side to change", async ({ tlsServer: useTls, ssl, message }) => {
    const srv = useTls ? await tlsServer() : await server();
    const { log, lines } = memoryLog();
    const o = output([srv], ssl ? { ssl: tlsSettings(caFile) } : {}, log);
    const t = publish(o, events(1), () => srv.acked);
    await until("the failure", () => lines.some((l) => l.level >= WARN));
    expect(lines.find((l) => l.level >= WARN)!.msg).toMatch(message);
    expect(t.resolved).toBe(false);
  });

  it("a missing CA file is an error naming the setting, at construction", () => {
    expect(() => output(["127.0.0.1:1"], { ssl: tlsSettings(join(dir, "nope.pem")) })).toThrow(
      `output.logstash.ssl.certificate_authorities: cannot read ${join(dir, "nope.pem")}: no such file`,
    );
  });
});

describe("lumberjack output: acknowledgements", () => {
  it("partial ACKs settle each batch as soon as its last event is covered", async () => {
    const srv = await server({ ackMode: "every:5", ackDelayMs: 150 });
    const o = output([srv]);
    // Window 1 (10 events) holds batch 0 (4 events), batch 1 (4) and half of batch 2.
    const tracked = Array.from({ length: 3 }, (_, i) => publish(o, events(4, i * 4), () => srv.acked));
    await Promise.all(tracked.map((t) => t.promise));
    expect(tracked.map((t) => t.ackedAtResolve)).toEqual([5, 10, 12]);
    expect(srv.windows.map((w) => w.size)).toEqual([10, 2]);
  });

  it("keep-alive ACKs while the collector is busy prevent the timeout", async () => {
    const srv = await server({ ackDelayMs: 2500, keepAliveMs: 300 });
    const o = output([srv], { timeoutSeconds: 1 });
    const t = publish(o, events(10), () => srv.acked); // one window, acknowledged after 2.5s
    await t.promise;
    expect(t.ackedAtResolve).toBe(10);
    expect(srv.connections).toBe(1);
    expect(srv.events).toHaveLength(10); // no re-send
  });

  it("(control) without keep-alives the same delay times out and the window is re-sent", async () => {
    const srv = await server({ ackDelayMs: 2500, keepAliveMs: 0 });
    const o = output([srv], { timeoutSeconds: 1 });
    const t = publish(o, events(5), () => srv.acked);
    await until("a reconnect", () => srv.connections >= 2);
    expect(t.resolved).toBe(false);
    srv.set({ ackDelayMs: 0 });
    await t.promise;
    expect(srv.events.length).toBeGreaterThan(5);
  });
});

describe("lumberjack output: failures lose nothing", () => {
  it("a collector that drops the connection mid-window", async () => {
    const srv = await server({ dropAfterEvents: 25 });
    const o = output([srv]);
    await publishAll(o, [srv], 10, 30);
    const { firstArrivals, duplicates } = distinct(messages(srv));
    expect(firstArrivals).toEqual(expected(300));
    expect(srv.connections).toBeGreaterThan(1);
    console.log(`drop mid-window: ${duplicates} duplicates over ${srv.connections} connections`);
    expect(duplicates).toBeGreaterThan(0);
  });

  it("a collector that drops the connection with several windows in flight: each is sent again, in order", async () => {
    const srv = await server({ dropAfterEvents: 45, ackDelayMs: 20 });
    const o = output([srv], { pipelining: 4 });
    await publishAll(o, [srv], 10, 30);
    const { firstArrivals, duplicates } = distinct(messages(srv));
    expect(firstArrivals).toEqual(expected(300));
    expect(srv.connections).toBeGreaterThan(1);
    // Windows after the first were in flight when the connection dropped.
    expect(srv.windows.filter((w) => w.connection === 1).length).toBeGreaterThan(1);
    expect(duplicates).toBeGreaterThan(0);
  });

  it("a collector that never ACKs: timeout, reconnect, nothing resolves until it ACKs again", async () => {
    const srv = await server({ ackMode: "never" });
    const o = output([srv], { timeoutSeconds: 1 });
    const tracked = Array.from({ length: 4 }, (_, i) => publish(o, events(10, i * 10), () => srv.acked));
    await until("two connections", () => srv.connections >= 2, 5_000);
    expect(tracked.some((t) => t.resolved)).toBe(false);
    expect(srv.acked).toBe(0);
    srv.set({ ackMode: "window" });
    await Promise.all(tracked.map((t) => t.promise));
    tracked.forEach((t, i) => expect(t.ackedAtResolve).toBeGreaterThanOrEqual((i + 1) * 10));
    expect(distinct(messages(srv)).firstArrivals).toEqual(expected(40));
  });

  it("a collector that is down for a while: refused connections are retried with backoff, logged without spam", async () => {
    const srv = await server();
    const { log, lines } = memoryLog();
    const o = output([srv], { backoffInitSeconds: 0.02, backoffMaxSeconds: 0.05 }, log);
    await o.publish(events(10)); // connected
    await srv.down();
    const t = publish(o, events(30, 10), () => srv.acked);
    await until("more than 10 failed connects", () => lines.filter((l) => /ECONNREFUSED|closed/.test(l.msg)).length > 10);
    expect(t.resolved).toBe(false);
    const failures = lines.filter((l) => /ECONNREFUSED|closed/.test(l.msg));
    expect(failures.length).toBeGreaterThan(10);
    expect(lines.filter((l) => l.level >= WARN).length).toBeLessThan(failures.length / 3);
    expect(lines.find((l) => l.level >= WARN && /ECONNREFUSED/.test(l.msg))!.msg).toMatch(
      new RegExp(`cannot connect to 127\\.0\\.0\\.1:${srv.port}: .*ECONNREFUSED.*retrying in`),
    );
    await srv.restart();
    await t.promise;
    expect(t.ackedAtResolve).toBeGreaterThanOrEqual(40);
    expect(distinct(messages(srv)).firstArrivals).toEqual(expected(40));
    expect(lines.some((l) => /connected to .*after \d+ failed attempts/.test(l.msg))).toBe(true);
  });

  it("a host that is down from the start: the publish waits, then delivers", async () => {
    const srv = await server();
    await srv.down();
    const { log, lines } = memoryLog();
    const o = output([srv], {}, log);
    const t = publish(o, events(10), () => srv.acked);
    await until("a refused connect", () => lines.some((l) => /ECONNREFUSED/.test(l.msg)));
    expect(t.resolved).toBe(false);
    await srv.restart();
    await t.promise;
    expect(messages(srv)).toEqual(expected(10));
  });

  it("ttl: a connection older than ttl is replaced between windows", async () => {
    const srv = await server();
    const o = output([srv], { ttlSeconds: 0.2 });
    await o.publish(events(5));
    await o.publish(events(5, 5));
    expect(srv.connections).toBe(1);
    // A fixed wait: the ttl is a duration, and only the clock shows it has passed.
    await sleep(300);
    await o.publish(events(5, 10));
    expect(srv.connections).toBe(2);
    expect(messages(srv)).toEqual(expected(15));
  });
});

describe("lumberjack output: several hosts", () => {
  it("loadbalance: both hosts receive events, together everything once", async () => {
    const a = await server({ ackDelayMs: 5 });
    const b = await server({ ackDelayMs: 5 });
    const o = output([a, b], { loadbalance: true });
    const tracked = Array.from({ length: 20 }, (_, i) => o.publish(events(50, i * 50)));
    await Promise.all(tracked);
    expect(a.events.length).toBeGreaterThan(0);
    expect(b.events.length).toBeGreaterThan(0);
    expect(messages([a, b]).toSorted()).toEqual(expected(1000));
  });

  it("loadbalance with one host down: everything goes to the other", async () => {
    const up = await server();
    const down = await server();
    await down.down();
    const o = output([up, down], { loadbalance: true });
    await publishAll(o, [up], 10, 100);
    expect(up.events).toHaveLength(1000);
    expect(messages(up).toSorted()).toEqual(expected(1000));
  });

  it("without loadbalance: one host at a time, failover to the other when it goes down", async () => {
    const a = await server();
    const b = await server();
    const o = output([a, b]);
    await o.publish(events(10));
    const first = a.events.length > 0 ? a : b;
    const second = first === a ? b : a;
    expect(second.events).toHaveLength(0); // one host at a time
    await first.down();
    await o.publish(events(10, 10));
    expect(second.events.length).toBe(10);
    expect(distinct(messages([first, second])).firstArrivals.toSorted()).toEqual(expected(20));
  });
});
