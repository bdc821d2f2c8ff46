import { Writable } from "node:stream";
import { writeFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfigText } from "../../src/config/load.ts";
import { Daemon } from "../../src/daemon.ts";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createQueue, putObject, queueDepth, sendBodies, testConfig, useTestAws, waitFor } from "../support/aws.ts";
import { logLines, spawnS3beat } from "../support/child.ts";
import { startLumberjackServer, type LumberjackServer, type ReceivedEvent } from "../support/lumberjackServer.ts";
import { getTestCerts } from "../support/tlsCerts.ts";
import { writeConfig } from "../support/aws.ts";

const BUCKET = "lj-bucket";

/** S3 objects of `lines` lines each; line j of object i is "obj=<i> line=<j>". */
async function uploadObjects(env: ReturnType<typeof useTestAws>, queue: string, prefix: string, objects: number, lines: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < objects; i++) {
    const key = `${prefix}/obj-${i}.log`;
    await putObject(env.aws, BUCKET, key, Array.from({ length: lines }, (_, j) => `obj=${i} line=${j}`).join("\n") + "\n");
    keys.push(key);
  }
  await sendBodies(
    env.aws,
    queue,
    keys.map((key) => s3Notification([{ bucket: BUCKET, key, size: 1 }])),
  );
  return keys;
}

const logEvents = (server: LumberjackServer) => server.events.filter((e) => typeof e.event.message === "string");

/** Per key: the line numbers in arrival order; and counts of missing and duplicated lines. */
function tally(received: ReceivedEvent[], keys: string[], lines: number) {
  const byKey = new Map<string, number[]>(keys.map((k) => [k, []]));
  for (const r of received) {
    const key = (r.event.aws as { s3: { object: { key: string } } }).s3.object.key;
    byKey.get(key)?.push(Number(/line=(\d+)/.exec(String(r.event.message))?.[1]));
  }
  let missing = 0;
  let duplicates = 0;
  for (const seen of byKey.values()) {
    const distinct = new Set(seen);
    missing += lines - distinct.size;
    duplicates += seen.length - distinct.size;
  }
  return { byKey, missing, duplicates };
}

function yaml(env: ReturnType<typeof useTestAws>, queue: string, logstash: string[], s3beat: string[] = []): string {
  return testConfig(env.aws, queue, {
    s3beat: ["heartbeatdisabled: true", ...s3beat],
    output: ["output.logstash:", ...logstash.map((l) => `  ${l}`)].join("\n"),
  });
}

describe("output.logstash end to end: S3 objects -> daemon -> lumberjack v2 server (real TCP on 127.0.0.1)", () => {
  const env = useTestAws(BUCKET);
  let caFile: string;
  let otherCaFile: string;
  beforeAll(async () => {
    const certs = getTestCerts();
    caFile = `${env.dir}/ca.pem`;
    otherCaFile = `${env.dir}/other-ca.pem`;
    await writeFile(caFile, certs.ca);
    await writeFile(otherCaFile, certs.otherCa);
  });

  it.each([
    { tls: false, level: 0 },
    { tls: false, level: 3 },
    { tls: true, level: 0 },
    { tls: true, level: 3 },
  ])("50,000 events arrive exactly once, in order per object (tls $tls, compression_level $level)", async ({ tls, level }) => {
    const certs = getTestCerts();
    const server = await startLumberjackServer(tls ? { tls: { key: certs.serverKey, cert: certs.serverCert } } : {});
    try {
      const { url } = await createQueue(env.aws, `lj-${tls}-${level}`);
      const keys = await uploadObjects(env, url, `e2e-${tls}-${level}`, 10, 5000);
      const lines = [`hosts: ["${server.address}"]`, `compression_level: ${level}`, ...(tls ? [`ssl.certificate_authorities: ["${caFile}"]`] : [])];
      const daemon = new Daemon(loadConfigText(yaml(env, url, lines), "lj.yml").settings, {
        log: createLogger({ level: "warn", format: "json", destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      });
      await daemon.start();
      try {
        await waitFor("every message deleted", () => daemon.stats.messagesDeleted === keys.length, 120_000);
      } finally {
        await daemon.stop("test done");
      }
      const received = logEvents(server);
      const { byKey, missing, duplicates } = tally(received, keys, 5000);
      expect({ missing, duplicates, total: received.length }).toEqual({ missing: 0, duplicates: 0, total: 50_000 });
      for (const seen of byKey.values()) expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(received.every((r) => r.compressed === level > 0)).toBe(true);
      expect(server.acked).toBeGreaterThanOrEqual(50_000);
      expect(await queueDepth(env.aws, url)).toEqual({ visible: 0, inFlight: 0 });
    } finally {
      await server.stop();
    }
  });

  it("a wrong CA fails with a clear message, and nothing is deleted", async () => {
    const certs = getTestCerts();
    const server = await startLumberjackServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    try {
      const { url } = await createQueue(env.aws, "lj-wrong-ca");
      await uploadObjects(env, url, "wrong-ca", 1, 10);
      const logs: string[] = [];
      const log = createLogger({ level: "info", format: "json", destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
      const daemon = new Daemon(
        loadConfigText(yaml(env, url, [`hosts: ["${server.address}"]`, `ssl.certificate_authorities: ["${otherCaFile}"]`]), "lj.yml").settings,
        { log },
      );
      await daemon.start();
      try {
        await waitFor("the TLS failure to be logged", () => logs.some((l) => /TLS handshake with 127\.0\.0\.1:\d+ failed/.test(l)), 20_000);
        expect(logs.find((l) => /TLS handshake/.test(l))).toMatch(/certificate_authorities/);
        expect(daemon.stats.messagesDeleted).toBe(0);
        expect(logEvents(server)).toHaveLength(0);
        expect((await queueDepth(env.aws, url)).inFlight).toBe(1);
      } finally {
        await daemon.stop("test done");
      }
    } finally {
      await server.stop();
    }
  });

  it.each([
    { name: "drops the connection in the middle of a window", server: { dropAfterEvents: 1500 }, heal: undefined },
    { name: "never ACKs (until it does)", server: { ackMode: "never" as const }, heal: { ackMode: "window" as const } },
  ])("a collector that $name: every event arrives, messages are deleted only after the ACK", async ({ server: behaviour, heal }) => {
    const server = await startLumberjackServer(behaviour);
    try {
      const { url } = await createQueue(env.aws, `lj-${heal ? "noack" : "drop"}`);
      const keys = await uploadObjects(env, url, `flaky-${heal ? "noack" : "drop"}`, 4, 2000);
      const daemon = new Daemon(
        loadConfigText(yaml(env, url, [`hosts: ["${server.address}"]`, "timeout: 1s", "backoff.init: 1s", "backoff.max: 2s"]), "lj.yml").settings,
        {
          log: createLogger({ level: "error", format: "json", destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
        },
      );
      await daemon.start();
      try {
        if (heal) {
          await waitFor("events to reach the server", () => server.events.length > 0, 20_000);
          // Past the 1 s timeout the output reconnects and sends its windows again, none ACKed.
          await waitFor("windows re-sent on a new connection", () => server.connections >= 2, 20_000);
          expect(daemon.stats.messagesDeleted).toBe(0); // nothing deleted without an ACK
          expect((await queueDepth(env.aws, url)).inFlight).toBeGreaterThan(0);
          server.set(heal);
        }
        await waitFor("every message deleted", () => daemon.stats.messagesDeleted === keys.length, 60_000);
      } finally {
        await daemon.stop("test done");
      }
      const { missing, duplicates } = tally(logEvents(server), keys, 2000);
      console.log(`lumberjack ${heal ? "never-ACK" : "drop mid-window"}: ${duplicates} duplicates, ${server.connections} connections`);
      expect(missing).toBe(0);
      expect(server.connections).toBeGreaterThan(1); // it really had to reconnect
      expect(await queueDepth(env.aws, url)).toEqual({ visible: 0, inFlight: 0 });
    } finally {
      await server.stop();
    }
  });

  it("a collector down for a while: s3beat stops taking messages (bounded memory), then delivers everything", async () => {
    const server = await startLumberjackServer();
    try {
      const { url } = await createQueue(env.aws, "lj-down");
      await server.down();
      const keys = await uploadObjects(env, url, "down", 30, 500);
      const cfg = await writeConfig(
        env.dir,
        yaml(env, url, [`hosts: ["${server.address}"]`, "backoff.init: 1s", "backoff.max: 2s"], ["maxMessagesInFlight: 4"]),
        "lj-down.yml",
      );
      const child = spawnS3beat(["run", "-c", cfg]);
      try {
        await waitFor("messages to be taken", async () => (await queueDepth(env.aws, url)).inFlight > 0, 20_000);
        const rss: number[] = [];
        for (let i = 0; i < 10; i++) {
          // Samples over time: what they prove is that nothing more is taken, so no condition ends the wait.
          await new Promise((r) => setTimeout(r, 500));
          const depth = await queueDepth(env.aws, url);
          // Backpressure: no more than maxMessagesInFlight taken while the collector is down.
          expect(depth.inFlight).toBeLessThanOrEqual(4);
          expect(depth.visible).toBeGreaterThanOrEqual(26);
          rss.push(
            Number(/VmRSS:\s+(\d+)/.exec(await import("node:fs/promises").then((fs) => fs.readFile(`/proc/${child.proc.pid}/status`, "utf8")))?.[1]) * 1024,
          );
        }
        expect(Math.max(...rss) - Math.min(...rss)).toBeLessThan(40 * 1024 * 1024);
        await server.restart();
        await waitFor(
          "the queue to drain",
          async () => {
            const d = await queueDepth(env.aws, url);
            return d.visible + d.inFlight === 0;
          },
          90_000,
        );
      } finally {
        child.proc.kill("SIGTERM");
        await child.exited;
      }
      const { missing } = tally(logEvents(server), keys, 500);
      expect(missing).toBe(0);
      expect(logLines(child.stderr()).some((l) => /127\.0\.0\.1:\d+/.test(String(l.message)) && l["log.level"] === "warn")).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("heartbeats reach the collector: status 1, then 2 at the interval, then 3 at shutdown", async () => {
    const server = await startLumberjackServer();
    try {
      const { url } = await createQueue(env.aws, "lj-hb");
      const cfg = await writeConfig(
        env.dir,
        testConfig(env.aws, url, { s3beat: ["heartbeatinterval: 1s", "beatIdentifier: oc_test"], output: `output.logstash:\n  hosts: ["${server.address}"]` }),
        "lj-hb.yml",
      );
      const child = spawnS3beat(["run", "-c", cfg]);
      const beats = () => server.events.filter((e) => typeof e.event.heartbeat === "string");
      await waitFor("four heartbeats", () => beats().length >= 4, 20_000);
      child.proc.kill("SIGTERM");
      expect((await child.exited).code).toBe(0);
      const codes = beats().map((b) => (JSON.parse(String(b.event.heartbeat)) as { status: { code: number } }).status.code);
      expect(codes[0]).toBe(1);
      expect(codes.at(-1)).toBe(3);
      expect(codes.slice(1, -1).every((c) => c === 2) && codes.length >= 5).toBe(true);
      expect(new Set(beats().map((b) => b.event.fullyqualifiedbeatname))).toEqual(new Set(["s3beat_oc_test"]));
    } finally {
      await server.stop();
    }
  });
});
