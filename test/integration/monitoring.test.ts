/**
 * The HTTP endpoint against the real daemon: /metrics counters checked against what was ingested
 * (fauxqs, the project's STS endpoint, the file output and the lumberjack test server), /readyz
 * following the output and the queue, /healthz catching a wedged poll loop, and no listening
 * socket unless http.enabled.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { CreateQueueCommand, DeleteQueueCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigText } from "../../src/config/load.ts";
import { Daemon } from "../../src/daemon.ts";
import { s3Notification } from "../../src/demo/notifications.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import type { MessageReceiver } from "../../src/sqs/sqsQueue.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, useTestAws, waitFor, writeConfig, type TestAws } from "../support/aws.ts";
import { spawnS3beat, type Child } from "../support/child.ts";
import { startLumberjackServer } from "../support/lumberjackServer.ts";
import { getJson, scrape, type Scrape } from "../support/metrics.ts";
import { startStsFake, type StsFake } from "../support/sts.ts";

const BASE = { accessKeyId: "AKIAMONITORINGTEST01", secretAccessKey: "monitoring/Secret+Key0123456789abcdefgh", arn: "arn:aws:iam::222222222222:user/s3beat" };
const ROLE = "arn:aws:iam::111111111111:role/monitored-reader";
const BUCKET = "monitoring-bucket";

interface Corpus {
  bodies: string[];
  messages: number;
  objects: number;
  events: number;
  storedBytes: number;
  decodedBytes: number;
}

/** Objects of known size and line count, half gzip, in messages naming one or two objects. */
async function uploadCorpus(aws: TestAws, queueUrl: string, prefix: string, objects: number): Promise<Corpus> {
  const refs: { bucket: string; key: string; size: number }[] = [];
  let events = 0;
  let storedBytes = 0;
  let decodedBytes = 0;
  for (let i = 0; i < objects; i++) {
    const lines = 50 + i * 7;
    const text = Array.from({ length: lines }, (_, n) => `${prefix} object ${i} line ${n} ${"x".repeat(n % 40)}`).join("\n") + "\n";
    const body = i % 2 === 0 ? gzipSync(text) : Buffer.from(text);
    const key = `${prefix}/obj-${i}.log${i % 2 === 0 ? ".gz" : ""}`;
    await putObject(aws, BUCKET, key, body);
    refs.push({ bucket: BUCKET, key, size: body.length });
    events += lines;
    storedBytes += body.length;
    decodedBytes += Buffer.byteLength(text);
  }
  // The first two messages name two objects each: messages and objects differ.
  const bodies = [s3Notification(refs.slice(0, 2)), s3Notification(refs.slice(2, 4)), ...refs.slice(4).map((r) => s3Notification([r]))];
  await sendBodies(aws, queueUrl, bodies);
  return { bodies, messages: bodies.length, objects, events, storedBytes, decodedBytes };
}

/** The endpoint's base URL, from the daemon's own log line (it listens on port 0). */
async function endpointOf(child: Child): Promise<string> {
  let url = "";
  await waitFor(
    "the http endpoint to listen",
    () => {
      const m = /http endpoint listening on (127\.0\.0\.1):(\d+)/.exec(child.stderr());
      if (m) url = `http://${m[1]}:${m[2]}`;
      return url !== "";
    },
    30_000,
  );
  return url;
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill("SIGTERM");
  await child.exited;
}

describe("the HTTP endpoint of the running daemon", () => {
  const env = useTestAws(BUCKET);
  let sts: StsFake;

  beforeAll(async () => {
    sts = await startStsFake({ account: "111111111111" });
    sts.addUser(BASE);
    sts.addRole({ arn: ROLE, trustedUserArns: [BASE.arn], maxSessionDurationSeconds: 7200 });
  });
  afterAll(async () => {
    await sts?.stop();
  });

  function config(queueUrl: string, output: string, extra: string[] = []): string {
    return [
      "s3beat:",
      `  sqsQueues: ["${queueUrl}"]`,
      `  accessKeyID: ${BASE.accessKeyId}`,
      `  secretAccessKey: "${BASE.secretAccessKey}"`,
      "  assumeRoleFlag: true",
      `  roleArn: ["${ROLE}"]`,
      "  sessionDuration: 2h",
      `  endpoints: { sqs: "${env.aws.endpoint}", s3: "${env.aws.endpoint}", sts: "${sts.endpoint}" }`,
      "  sqsWaitTime: 1s",
      "  maxMessagesInFlight: 3",
      "  heartbeatdisabled: true",
      ...extra.map((l) => `  ${l}`),
      output,
      "logging.metrics.period: 1s",
      "http.enabled: true",
      "http.port: 0",
      "",
    ].join("\n");
  }

  /** Scrapes until every message is deleted, keeping the highest in-flight gauge seen. */
  async function ingestWatching(url: string, corpus: Corpus): Promise<{ last: Scrape; maxInFlight: number }> {
    let maxInFlight = 0;
    let last: Scrape | undefined;
    await waitFor(
      "every message deleted, as /metrics counts them",
      async () => {
        last = await scrape(url);
        maxInFlight = Math.max(maxInFlight, last.value("s3beat_sqs_messages_in_flight") ?? 0);
        return (last.value("s3beat_sqs_messages_deleted_total") ?? 0) >= corpus.messages;
      },
      90_000,
      20,
    );
    return { last: last!, maxInFlight };
  }

  function expectCounters(m: Scrape, corpus: Corpus, queue: string): void {
    expect(m.value("s3beat_sqs_messages_received_total", { queue })).toBe(corpus.messages);
    expect(m.value("s3beat_sqs_messages_deleted_total", { queue })).toBe(corpus.messages);
    expect(m.value("s3beat_sqs_messages_retried_total", { queue })).toBe(0);
    expect(m.value("s3beat_s3_objects_total", { queue, outcome: "delivered" })).toBe(corpus.objects);
    expect(m.value("s3beat_s3_objects_total", { queue, outcome: "failed" }) ?? 0).toBe(0);
    expect(m.value("s3beat_events_published_total", { queue })).toBe(corpus.events);
    expect(m.value("s3beat_events_acked_total", { queue })).toBe(corpus.events);
    expect(m.value("s3beat_s3_read_bytes_total", { queue })).toBe(corpus.storedBytes);
    expect(m.value("s3beat_decoded_bytes_total", { queue })).toBe(corpus.decodedBytes);
    expect(m.value("s3beat_sqs_receive_duration_seconds_count", { queue })).toBeGreaterThan(0);
  }

  it("counts what was ingested into the file output, and shows the backlog, the dead-letter queue and the credentials' expiry", async () => {
    const { url: queueUrl, dlqUrl } = await createQueue(env.aws, "monitored-file");
    const corpus = await uploadCorpus(env.aws, queueUrl, "file", 14);
    await sendBodies(env.aws, dlqUrl, ["dead one", "dead two"]);
    const out = `${env.dir}/file-out`;
    const cfg = await writeConfig(env.dir, config(queueUrl, `output.file: { path: ${out} }`), "file.yml");
    const stsFrom = sts.calls.length;
    const child = spawnS3beat(["run", "-c", cfg]);
    try {
      const url = await endpointOf(child);
      const { last, maxInFlight } = await ingestWatching(url, corpus);
      expect(maxInFlight).toBeGreaterThanOrEqual(1);
      expect(maxInFlight).toBeLessThanOrEqual(3); // maxMessagesInFlight
      const queue = "monitored-file";
      expectCounters(last, corpus, queue);

      // The backlog gauges follow the queue (read once per metrics period): drained, DLQ holding two.
      let m = last;
      await waitFor(
        "the backlog gauges to show the drained queue",
        async () => {
          m = await scrape(url);
          return (
            m.value("s3beat_sqs_queue_messages", { queue, state: "visible" }) === 0 && m.value("s3beat_sqs_queue_messages", { queue, state: "in_flight" }) === 0
          );
        },
        20_000,
      );
      const depth = await queueDepth(env.aws, queueUrl);
      expect(depth).toEqual({ visible: 0, inFlight: 0 });
      expect(m.value("s3beat_sqs_dead_letter_queue_messages", { queue, state: "visible" })).toBe(2);
      expect(m.value("s3beat_sqs_messages_in_flight", { queue })).toBe(0);

      // Credentials: one AssumeRole; the gauge counts down to the expiry the STS endpoint issued.
      const issued = sts.calls.slice(stsFrom).filter((c) => c.outcome === "ok");
      expect(issued).toHaveLength(1);
      expect(m.value("s3beat_credentials_refreshes_total", { role: ROLE })).toBe(1);
      expect(m.value("s3beat_credentials_refresh_failures_total", { role: ROLE })).toBe(0);
      const expectedLeft = (issued[0]!.at + 2 * 3600 * 1000 - Date.now()) / 1000;
      const left = m.value("s3beat_credentials_expiry_seconds", { role: ROLE })!;
      expect(Math.abs(left - expectedLeft)).toBeLessThan(5);

      const { events } = await readFileOutput(out);
      expect(events).toHaveLength(corpus.events);
      const ready = await getJson(url, "/readyz");
      expect(ready.status).toBe(200);
      expect(Object.keys(ready.body.parts as object).sort()).toEqual([`output file`, `queue ${queue}`, `role ${ROLE}`]);
      const root = await getJson(url, "/");
      expect(root.body).toMatchObject({ name: "s3beat", configVersion: 0, queues: [queue], output: "file" });
      expect(typeof root.body.uptimeSeconds).toBe("number");
    } finally {
      await stopChild(child);
    }
    expect((await child.exited).code).toBe(0);
  });

  it("counts what was delivered to a lumberjack collector, with its connection and window", async () => {
    const server = await startLumberjackServer({ keepEvents: false });
    try {
      const { url: queueUrl } = await createQueue(env.aws, "monitored-lj");
      const corpus = await uploadCorpus(env.aws, queueUrl, "lj", 8);
      const cfg = await writeConfig(env.dir, config(queueUrl, `output.logstash: { hosts: ["${server.address}"] }`), "lj.yml");
      const child = spawnS3beat(["run", "-c", cfg]);
      try {
        const url = await endpointOf(child);
        const { last: m, maxInFlight } = await ingestWatching(url, corpus);
        expect(maxInFlight).toBeLessThanOrEqual(3);
        expectCounters(m, corpus, "monitored-lj");
        expect(server.acked).toBe(corpus.events);
        expect(m.value("s3beat_output_connection_up", { output: "logstash", host: server.address })).toBe(1);
        expect(m.value("s3beat_output_window_size_events", { output: "logstash", host: server.address })).toBeGreaterThan(0);
        expect(m.value("s3beat_output_publish_duration_seconds_count", { output: "logstash" })).toBeGreaterThan(0);
        expect(m.value("s3beat_output_write_errors_total", { output: "logstash" })).toBe(0);
        // The process metrics of prom-client, with the prefix.
        expect(m.value("s3beat_process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
        expect(m.types.get("s3beat_nodejs_eventloop_lag_seconds")).toBe("gauge");
      } finally {
        await stopChild(child);
      }
    } finally {
      await server.stop();
    }
  });
});

describe("readiness and liveness (the daemon in-process, so a test can break its parts)", () => {
  const env = useTestAws(BUCKET);

  const settingsFor = (queueUrl: string, output: string, extra: string[] = []) =>
    loadConfigText(
      [
        "s3beat:",
        `  sqsQueues: ["${queueUrl}"]`,
        "  accessKeyID: test-access-key",
        "  secretAccessKey: test-secret-key",
        `  endpoints: { sqs: "${env.aws.endpoint}", s3: "${env.aws.endpoint}" }`,
        "  sqsWaitTime: 1s",
        "  heartbeatinterval: 1s",
        "  shutdownGracePeriod: 2s",
        ...extra.map((l) => `  ${l}`),
        output,
        "logging.metrics.period: 0",
        "http.enabled: true",
        "http.port: 0",
        "",
      ].join("\n"),
      "test.yml",
    ).settings;

  it("/readyz names the output while the collector is down and is 200 again once it is back", async () => {
    const server = await startLumberjackServer();
    const { url: queueUrl } = await createQueue(env.aws, "ready-output");
    const daemon = new Daemon(settingsFor(queueUrl, `output.logstash: { hosts: ["${server.address}"], backoff.init: 1s, backoff.max: 1s }`), {
      log: silentLogger(),
    });
    await daemon.start();
    try {
      const url = `http://127.0.0.1:${daemon.httpAddress!.port}`;
      await waitFor("ready", async () => (await getJson(url, "/readyz")).status === 200, 20_000);
      await server.down();
      // Heartbeats (every second) keep the output trying, so the failure shows without any event.
      let body: Record<string, unknown> = {};
      await waitFor(
        "not ready because of the output",
        async () => {
          const r = await getJson(url, "/readyz");
          body = r.body;
          return r.status === 503;
        },
        20_000,
      );
      const notReady = body.notReady as { part: string; reason: string }[];
      expect(notReady.map((p) => p.part)).toEqual(["output logstash"]);
      expect(notReady[0]!.reason).toMatch(new RegExp(`logstash output: .*${server.port}`));
      expect((await getJson(url, "/healthz")).status).toBe(200); // down output: not ready, still alive
      await server.restart();
      await waitFor("ready again once the collector is back", async () => (await getJson(url, "/readyz")).status === 200, 20_000);
    } finally {
      await daemon.stop("test done");
      await server.stop();
    }
  });

  it("/readyz names the queue while its receives are refused, and /healthz stays 200", async () => {
    const name = "ready-queue";
    const { url: queueUrl } = await createQueue(env.aws, name);
    const daemon = new Daemon(settingsFor(queueUrl, `output.file: { path: ${env.dir}/ready-queue }`, ["heartbeatdisabled: true"]), { log: silentLogger() });
    await daemon.start();
    try {
      const url = `http://127.0.0.1:${daemon.httpAddress!.port}`;
      await waitFor("ready", async () => (await getJson(url, "/readyz")).status === 200, 20_000);
      await env.aws.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      let body: Record<string, unknown> = {};
      await waitFor(
        "not ready because of the queue",
        async () => {
          const r = await getJson(url, "/readyz");
          body = r.body;
          return r.status === 503;
        },
        20_000,
      );
      const notReady = body.notReady as { part: string; reason: string }[];
      expect(notReady.map((p) => p.part)).toEqual([`queue ${name}`]);
      expect(notReady[0]!.reason).toMatch(/^ReceiveMessage failed on ready-queue: .*(NonExistentQueue|does not exist)/i);
      expect((await getJson(url, "/healthz")).status).toBe(200);
      expect((await scrape(url)).value("s3beat_sqs_receive_errors_total", { queue: name })).toBeGreaterThan(0);
      await env.aws.sqs.send(new CreateQueueCommand({ QueueName: name }));
      await waitFor("ready again once the queue exists", async () => (await getJson(url, "/readyz")).status === 200, 30_000);
    } finally {
      await daemon.stop("test done");
    }
  });

  it("/healthz turns 503 naming the queue when its poll loop is wedged in a receive that never returns", async () => {
    const name = "wedged";
    const { url: queueUrl } = await createQueue(env.aws, name);
    let calls = 0;
    const hang = (real: MessageReceiver): MessageReceiver => ({
      // The first receive is real; the next never returns (until shutdown aborts it).
      receive: (max, signal) =>
        ++calls === 1 ? real.receive(max, signal) : new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
    });
    const daemon = new Daemon(settingsFor(queueUrl, `output.file: { path: ${env.dir}/wedged }`, ["heartbeatdisabled: true"]), {
      log: silentLogger(),
      wrapReceiver: hang,
      receiveStallMs: 1500,
    });
    await daemon.start();
    try {
      const url = `http://127.0.0.1:${daemon.httpAddress!.port}`;
      expect((await getJson(url, "/healthz")).status).toBe(200);
      let body: Record<string, unknown> = {};
      await waitFor(
        "wedged",
        async () => {
          const r = await getJson(url, "/healthz");
          body = r.body;
          return r.status === 503;
        },
        20_000,
      );
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(body).toMatchObject({
        status: "wedged",
        stuck: [{ part: `queue ${name}`, reason: expect.stringMatching(/ReceiveMessage call has not returned for \d+s/) }],
      });
    } finally {
      await daemon.stop("test done");
    }
  });
});

/** Listening TCP sockets of a process: its socket inodes matched against /proc/net/tcp{,6} rows in state LISTEN. */
function listeningSockets(pid: number): { address: string; port: number }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: { address: string; port: number }[] = [];
  for (const table of ["tcp", "tcp6"]) {
    for (const row of readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9]!)) continue;
      const [hex, port] = f[1]!.split(":");
      const address =
        hex!.length === 8
          ? hex!
              .match(/../g)!
              .reverse()
              .map((b) => parseInt(b, 16))
              .join(".")
          : hex!;
      out.push({ address, port: parseInt(port!, 16) });
    }
  }
  return out;
}

describe("no listening socket unless asked", () => {
  const env = useTestAws(BUCKET);

  it.runIf(process.platform === "linux")("without http.enabled the daemon listens on no port; with it, on 127.0.0.1 by default", async () => {
    const { url: queueUrl } = await createQueue(env.aws, "sockets");
    const base = [
      "s3beat:",
      `  sqsQueues: ["${queueUrl}"]`,
      "  accessKeyID: test-access-key",
      "  secretAccessKey: test-secret-key",
      `  endpoints: { sqs: "${env.aws.endpoint}", s3: "${env.aws.endpoint}" }`,
      "  sqsWaitTime: 1s",
      "  heartbeatdisabled: true",
      "output.console: {}",
      "logging.metrics.period: 1s",
    ];
    for (const [name, extra, expected] of [
      ["off.yml", [], []],
      ["on.yml", ["http.enabled: true", "http.port: 0"], ["127.0.0.1"]],
    ] as const) {
      const cfg = await writeConfig(env.dir, [...base, ...extra, ""].join("\n"), name);
      const child = spawnS3beat(["run", "-c", cfg]);
      try {
        // Running for a whole metrics period: started, polled, logged its summary.
        await waitFor("the first summary line", () => /idle: no messages|in the last/.test(child.stderr()), 30_000);
        expect(listeningSockets(child.proc.pid!).map((s) => s.address)).toEqual(expected);
      } finally {
        await stopChild(child);
      }
    }
  });
});
