/**
 * The fault suite's scenario harness (test/faults): a known corpus of objects whose every event has
 * a unique message text, the queue and its dead-letter queue, the config file, the real daemon as a
 * child process (started, stopped, SIGKILLed, its peak RSS sampled from /proc), and the exact tally
 * that ends every scenario, recorded as a row of the results table.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, TEST_KEYS, waitFor, writeConfig, type TestAws } from "./aws.ts";
import { logLines, spawnS3beat, type Child } from "./child.ts";
import type { LumberjackServer } from "./lumberjackServer.ts";
import { recordRow, tally, type FaultRow, type Tally } from "./tally.ts";

export interface CorpusObject {
  key: string;
  body: Buffer;
  /** The events it must yield, in order. */
  messages: string[];
}

/**
 * Object `i` of a scenario: `lines` lines `<tag> obj-<i> line <j>` (padded to about `lineBytes`,
 * with random hex when `incompressible`, so that its gzip stays large), under `<tag>/`; every third
 * object gzipped unless `gzip` says.
 */
export function corpusObject(tag: string, i: number, lines: number, opts: { lineBytes?: number; gzip?: boolean; incompressible?: boolean } = {}): CorpusObject {
  const gz = opts.gzip ?? i % 3 === 0;
  const pad = Math.max(0, (opts.lineBytes ?? 0) - `${tag} obj-${i} line ${lines} `.length);
  const filler = () =>
    pad === 0
      ? ""
      : ` ${
          opts.incompressible
            ? randomBytes(Math.ceil(pad / 2))
                .toString("hex")
                .slice(0, pad)
            : "p".repeat(pad)
        }`;
  const messages = Array.from({ length: lines }, (_, j) => `${tag} obj-${i} line ${j}${filler()}`);
  const text = messages.join("\n") + "\n";
  return { key: `${tag}/obj-${i}.log${gz ? ".gz" : ""}`, body: gz ? gzipSync(text) : Buffer.from(text), messages };
}

export function corpus(tag: string, objects: number, lines: number, opts: { lineBytes?: number; incompressible?: boolean } = {}): CorpusObject[] {
  return Array.from({ length: objects }, (_, i) => corpusObject(tag, i, lines, opts));
}

/** The config's lines for a file output directory (never rotated within a scenario). */
export const fileOutput = (path: string) => `output.file: { path: ${path}, rotate_every_kb: 1048576 }`;

/** The config's output.logstash section for one collector. */
export const logstashOutput = (address: string, extra: string[] = []) =>
  ["output.logstash:", `  hosts: ["${address}"]`, ...extra.map((l) => `  ${l}`)].join("\n");

/** The message texts a lumberjack test server received (every arrival, acknowledged or not). */
export const lumberjackMessages = (server: LumberjackServer): string[] =>
  server.events.flatMap((e) => (typeof e.event.message === "string" ? [e.event.message] : []));

export interface ConfigOptions {
  /** Default: the scenario's queue URL (pass `proxy.via(url)` to go through a proxy). */
  queueUrl?: string;
  /** Endpoints; default the emulator for SQS and S3, none for STS. */
  sqs?: string;
  s3?: string;
  sts?: string;
  /** Default 4s. */
  visibilityTimeout?: string;
  /** More s3beat lines, e.g. "maxMessagesInFlight: 1" (one that names a default's key replaces that default). */
  s3beat?: string[];
  /** The output section (fileOutput, logstashOutput). */
  output: string;
  /** Default the emulator's test keys. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Extra top-level lines. */
  extra?: string[];
}

/** One run of the real CLI, its peak RSS sampled. */
export interface DaemonProcess {
  child: Child;
  pid: number;
  /** The highest VmHWM (peak resident set) seen for it so far, in bytes. */
  readonly peakRssBytes: number;
  readonly alive: boolean;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Resolves once it logged "s3beat started" (or exited). */
  started(timeoutMs?: number): Promise<void>;
  /**
   * SIGTERM (graceful stop) once it has started (a SIGTERM before its signal handlers are installed
   * would end it with the signal, as for any process), then waits for the exit.
   */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logs(): Record<string, unknown>[];
  /** The counters of its last line (`s3beat stopped …`), after a graceful stop; undefined otherwise. */
  stats(): Record<string, number> | undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** VmHWM (or VmRSS) of a process in bytes, 0 when it is gone. */
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}

export function startDaemon(configPath: string, env: NodeJS.ProcessEnv = {}): DaemonProcess {
  const child = spawnS3beat(["run", "-c", configPath], env);
  const pid = child.proc.pid!;
  let peak = 0;
  let alive = true;
  const sample = () => {
    if (alive) peak = Math.max(peak, rssOf(pid));
  };
  const timer = setInterval(sample, 100);
  void child.exited.then(() => {
    alive = false;
    clearInterval(timer);
    // A graceful stop logs the process's own peak (getrusage maxrss) in its last line.
    for (const l of logLines(child.stderr())) if (typeof l.maxRssBytes === "number") peak = Math.max(peak, l.maxRssBytes);
  });
  return {
    child,
    pid,
    get peakRssBytes() {
      return peak;
    },
    get alive() {
      return alive;
    },
    async kill() {
      sample();
      child.proc.kill("SIGKILL");
      await child.exited;
    },
    async started(timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (alive && !child.stderr().includes("s3beat started") && Date.now() < end) await sleep(20);
    },
    async stop() {
      await this.started();
      sample();
      child.proc.kill("SIGTERM");
      return child.exited;
    },
    logs: () => logLines(child.stderr()),
    stats: () => logLines(child.stderr()).find((l) => String(l.message).startsWith("s3beat stopped"))?.stats as Record<string, number> | undefined,
  };
}

/**
 * One scenario: its queue (with a dead-letter queue), its expected events, its daemon runs. Keys,
 * queue and files are named after `slug`, so scenarios share an emulator and a bucket.
 */
export class Scenario {
  readonly name: string;
  readonly slug: string;
  readonly ci: boolean;
  readonly aws: TestAws;
  readonly bucket: string;
  /** The scenario's own directory (configs, outputs). */
  readonly dir: string;
  readonly queue: { url: string; dlqUrl: string };
  readonly maxReceiveCount: number;
  /** Message texts that must all arrive. */
  readonly expected: string[] = [];
  readonly daemons: DaemonProcess[] = [];
  readonly startedAt = Date.now();

  private constructor(o: {
    name: string;
    slug: string;
    ci: boolean;
    aws: TestAws;
    bucket: string;
    dir: string;
    queue: { url: string; dlqUrl: string };
    maxReceiveCount: number;
  }) {
    this.name = o.name;
    this.slug = o.slug;
    this.ci = o.ci;
    this.aws = o.aws;
    this.bucket = o.bucket;
    this.dir = o.dir;
    this.queue = o.queue;
    this.maxReceiveCount = o.maxReceiveCount;
  }

  /** `maxReceiveCount` of the redrive policy: default 10, high enough that only poison reaches the DLQ. */
  static async create(
    env: { aws: TestAws; dir: string },
    o: { name: string; slug: string; bucket: string; ci?: boolean; maxReceiveCount?: number },
  ): Promise<Scenario> {
    const maxReceiveCount = o.maxReceiveCount ?? 10;
    const queue = await createQueue(env.aws, o.slug, maxReceiveCount);
    return new Scenario({ ...o, ci: o.ci ?? false, aws: env.aws, dir: `${env.dir}/${o.slug}`, queue, maxReceiveCount });
  }

  /** Uploads objects, a few at a time; their messages become expected unless `expected: false`. */
  async upload(objects: CorpusObject[], opts: { expected?: boolean; parallel?: number } = {}): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.parallel ?? 6 }, async () => {
        while (next < objects.length) {
          const o = objects[next++]!;
          await putObject(this.aws, this.bucket, o.key, o.body);
        }
      }),
    );
    if (opts.expected !== false) for (const o of objects) for (const m of o.messages) this.expected.push(m);
  }

  /** One notification per object (every `perMessage` objects share one when set). */
  async notify(objects: CorpusObject[], perMessage = 1): Promise<void> {
    const bodies: string[] = [];
    for (let i = 0; i < objects.length; i += perMessage) {
      bodies.push(s3Notification(objects.slice(i, i + perMessage).map((o) => ({ bucket: this.bucket, key: o.key, size: o.body.length }))));
    }
    await this.send(bodies);
  }

  /** Raw message bodies onto the scenario's queue. */
  send(bodies: string[]): Promise<void> {
    return sendBodies(this.aws, this.queue.url, bodies);
  }

  /** upload + notify. */
  async add(objects: CorpusObject[], opts: { expected?: boolean; perMessage?: number } = {}): Promise<void> {
    await this.upload(objects, opts);
    await this.notify(objects, opts.perMessage);
  }

  /** Writes the scenario's s3beat.yml (short timings) and returns its path. */
  async config(o: ConfigOptions, name = "s3beat.yml"): Promise<string> {
    const keys = o.credentials ?? TEST_KEYS;
    const endpoints = [`sqs: "${o.sqs ?? this.aws.endpoint}"`, `s3: "${o.s3 ?? this.aws.endpoint}"`, ...(o.sts ? [`sts: "${o.sts}"`] : [])];
    const defaults = [
      "sqsWaitTime: 1s",
      `visibilityTimeout: ${o.visibilityTimeout ?? "4s"}`,
      "retryBackoff.init: 1s",
      "retryBackoff.max: 4s",
      "maxMessagesInFlight: 4",
      "shutdownGracePeriod: 2s",
      "heartbeatdisabled: true",
    ];
    const text = [
      `configVersion: ${CURRENT_CONFIG_VERSION}`,
      "s3beat:",
      `  sqsQueues: ["${o.queueUrl ?? this.queue.url}"]`,
      `  accessKeyID: ${keys.accessKeyId}`,
      `  secretAccessKey: "${keys.secretAccessKey}"`,
      `  endpoints: { ${endpoints.join(", ")} }`,
      ...defaults.filter((d) => !(o.s3beat ?? []).some((l) => l.startsWith(`${d.split(":")[0]}:`))).map((l) => `  ${l}`),
      ...(o.s3beat ?? []).map((l) => `  ${l}`),
      o.output,
      "logging.metrics.period: 0",
      ...(o.extra ?? []),
      "",
    ].join("\n");
    await mkdir(this.dir, { recursive: true });
    return writeConfig(this.dir, text, name);
  }

  /** Starts the daemon on a config; the scenario keeps it for the peak RSS and the cleanup. */
  start(configPath: string, env: NodeJS.ProcessEnv = {}): DaemonProcess {
    const d = startDaemon(configPath, env);
    this.daemons.push(d);
    return d;
  }

  /** Messages not yet deleted (visible + in flight) on the queue and on its DLQ. */
  async depth(): Promise<{ queue: number; dlq: number }> {
    const q = await queueDepth(this.aws, this.queue.url);
    const d = await queueDepth(this.aws, this.queue.dlqUrl);
    return { queue: q.visible + q.inFlight, dlq: d.visible + d.inFlight };
  }

  /** Until the queue holds nothing (every message deleted or dead-lettered), seen twice 300 ms apart. */
  async waitDrained(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `queue ${this.slug} to drain`,
      async () => {
        if ((await this.depth()).queue !== 0) return false;
        await sleep(300);
        return (await this.depth()).queue === 0;
      },
      timeoutMs,
      250,
    );
  }

  /** The messages on the DLQ (received with a long visibility, so they stay there for later looks). */
  async dlqMessages(): Promise<{ id: string; body: string; receiveCount: number }[]> {
    const found: { id: string; body: string; receiveCount: number }[] = [];
    for (;;) {
      const out = await this.aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queue.dlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 600,
          MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        }),
      );
      if (!out.Messages?.length) return found;
      for (const m of out.Messages) found.push({ id: m.MessageId ?? "", body: m.Body ?? "", receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0) });
    }
  }

  /** Every message text written to a file output directory. */
  async fileMessages(outDir: string): Promise<string[]> {
    const { events } = await readFileOutput(outDir).catch(() => ({ events: [] as { message: string }[] }));
    return events.map((e) => e.message);
  }

  get peakRssMb(): number {
    return Math.max(0, ...this.daemons.map((d) => d.peakRssBytes)) / (1 << 20);
  }

  /** Tallies what arrived against the expected events, records the row, and returns both. */
  finish(received: Iterable<string>, note?: string): { tally: Tally; row: FaultRow } {
    const t = tally(this.expected, received);
    const row: FaultRow = {
      scenario: this.name,
      expected: t.expected,
      delivered: t.delivered,
      duplicates: t.duplicates,
      lost: t.lost,
      peakRssMb: this.peakRssMb,
      seconds: (Date.now() - this.startedAt) / 1000,
      ci: this.ci,
      ...(note ? { note } : {}),
    };
    recordRow(row);
    if (process.env.S3BEAT_FAULTS_VERBOSE) console.log(`${this.name}: warnings and errors of the daemon\n${this.logSummary()}`);
    return { tally: t, row };
  }

  /** Distinct warn/error messages of every run (numbers and ids blurred), with counts. */
  logSummary(): string {
    const counts = new Map<string, number>();
    for (const d of this.daemons) {
      for (const l of d.logs()) {
        const level = String(l["log.level"] ?? "");
        if (level !== "warn" && level !== "error" && level !== "fatal") continue;
        const text = `${level} ${String(l.message)}`
          .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "<id>")
          .replace(/\d+(\.\d+)?/g, "N")
          .slice(0, 240);
        counts.set(text, (counts.get(text) ?? 0) + 1);
      }
    }
    return [...counts].map(([m, n]) => `  ${String(n).padStart(5)} × ${m}`).join("\n");
  }

  /** SIGKILLs whatever still runs (a failed scenario must not leave daemons behind). */
  async cleanup(): Promise<void> {
    await Promise.all(this.daemons.filter((d) => d.alive).map((d) => d.kill()));
  }

  /** The last lines of every run's stderr, for failure messages. */
  stderrTail(chars = 3000): string {
    return this.daemons.map((d, i) => `--- run ${i + 1} (pid ${d.pid}) ---\n${d.child.stderr().slice(-chars)}`).join("\n");
  }
}

/** Counts the complete lines of the active file of a file output (cheap enough to poll). */
export function outputLines(dir: string): number {
  try {
    const buf = readFileSync(`${dir}/s3beat`);
    let n = 0;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
    return n;
  } catch {
    return 0;
  }
}
