// Over 300 lines: the bench driver reads top to bottom as the run it performs (data, processes, runs, table).
/**
 * npm run bench: the real daemon (bin/s3beat.js run, a child process) on five workloads, each
 * compared with a ceiling consumer (bench/ceiling.ts) on the same data from the same emulator.
 *
 *   A  100 gzip objects of ~111-byte lines (~1 MB gzip each, 3.1M lines)   lines  → output.file
 *   B  1000 CloudTrail files, 100k records of ~1.5 KB                     json (Records) → output.file
 *   C  3000 plain objects of 2 KB                                          lines  → output.file
 *   D  the objects of A                                                    lines  → output.logstash (lz 3)
 *   E  one 1 GiB NDJSON object (gzip), no ceiling                          ndjson → output.file
 *
 * Processes: the emulator (bench/emulator.ts), the consumer being measured (s3beat or the ceiling,
 * never two at once), for D the lumberjack collector (bench/collector.ts), and this one, which only
 * waits while a run is timed. Every notification is posted before the consumer starts; the
 * emulator times the run from the first message taken to the queue being empty, so the consumer's
 * startup is not counted. Runs alternate (ceiling, s3beat, ceiling, s3beat…) and the same
 * notifications are posted again before each; the ratio is the median of the per-pair ratios.
 *
 * Environment: S3BEAT_BENCH_SCALE (default 1: object counts, and E's size, are multiplied by it),
 * S3BEAT_BENCH_PAIRS (default 2). Flags: --check (exit 1 when a peak RSS is over the limit),
 * --only=A,C (a subset). Data is generated once (seeded) and cached in bench/.cache.
 * For experiments, not for the numbers: S3BEAT_BENCH_CPU_PROF=<dir> runs the daemon with --cpu-prof
 * into that directory; S3BEAT_BENCH_S3BEAT="maxMessagesInFlight: 2; …" adds keys to its s3beat section.
 */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CURRENT_CONFIG_VERSION } from "../migrations/index.ts";
import { s3Notification } from "../src/demo/notifications.ts";
import { bigObject, objectSet, type DataSet } from "./data.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin/s3beat.js");
const HERE = fileURLToPath(new URL(".", import.meta.url));
const RESULTS = join(HERE, "results/latest.json");
const MiB = 2 ** 20;
const RSS_LIMIT = 200 * MiB;
const RUN_TIMEOUT_MS = 10 * 60_000;
const CREDENTIALS = { accessKeyId: "bench", secretAccessKey: "bench-secret" };

const argv = process.argv.slice(2);
const CHECK = argv.includes("--check");
const ONLY = (argv.find((a) => a.startsWith("--only="))?.slice(7) ?? process.env.S3BEAT_BENCH_ONLY ?? "A,B,C,D,E").toUpperCase().split(",");
const SCALE = Number(process.env.S3BEAT_BENCH_SCALE ?? 1);
const PAIRS = Math.max(1, Math.round(Number(process.env.S3BEAT_BENCH_PAIRS ?? 2)));
/** Experiments only: extra keys for the s3beat section, `;`-separated, e.g. "maxMessagesInFlight: 2; decoder: ndjson". */
const EXTRA = (process.env.S3BEAT_BENCH_S3BEAT ?? "")
  .split(";")
  .map((s) => s.trim())
  .filter(Boolean);
if (!(SCALE > 0 && SCALE <= 1)) throw new Error(`S3BEAT_BENCH_SCALE must be in (0, 1], got ${process.env.S3BEAT_BENCH_SCALE}`);

interface Workload {
  id: "A" | "B" | "C" | "D" | "E";
  title: string;
  data: "A" | "B" | "C" | "E";
  decoder: "lines" | "json" | "ndjson";
  expand?: string;
  output: "file" | "logstash";
  ceiling?: "lines" | "cloudtrail";
}

const WORKLOADS: Workload[] = [
  { id: "A", title: "gzip objects (~1 MB each) of ~111-byte lines, lines → output.file", data: "A", decoder: "lines", output: "file", ceiling: "lines" },
  { id: "B", title: "CloudTrail gzip files, json Records → output.file", data: "B", decoder: "json", expand: "Records", output: "file", ceiling: "cloudtrail" },
  { id: "C", title: "plain 2 KB objects, lines → output.file", data: "C", decoder: "lines", output: "file", ceiling: "lines" },
  { id: "D", title: "workload A → output.logstash (compression_level 3)", data: "A", decoder: "lines", output: "logstash", ceiling: "lines" },
  { id: "E", title: "one big NDJSON gzip object (1 GiB decoded at scale 1), ndjson → output.file", data: "E", decoder: "ndjson", output: "file" },
];
const COUNTS = { A: 100, B: 1000, C: 3000 };
const E_BYTES = 2 ** 30;

// ---- small helpers ----------------------------------------------------------------------------------

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const log = (msg: string) => console.log(msg);
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime (14), stime (15)
}

/** VmHWM (peak resident set size) or VmRSS (now) of a process, in bytes. */
function rss(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

async function countLines(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) {
    for await (const chunk of createReadStream(join(dir, f), { highWaterMark: 4 * MiB }) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
    }
  }
  return n;
}

/** A forked helper process (emulator, collector) with request/response and events over IPC. */
class Helper {
  readonly proc: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Record<string, unknown>) => void>();
  private readonly listeners = new Set<(m: Record<string, unknown>) => void>();
  private stderr = "";

  constructor(script: string, args: string[] = []) {
    this.proc = fork(join(HERE, script), args, { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.proc.stderr!.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-5000)));
    this.proc.on("message", (m: Record<string, unknown>) => {
      const reply = typeof m.id === "number" ? this.waiting.get(m.id) : undefined;
      if (reply) {
        this.waiting.delete(m.id as number);
        reply(m);
      }
      for (const l of this.listeners) l(m);
    });
  }

  async request(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(id, resolve));
    this.proc.send({ ...cmd, id });
    const m = await reply;
    if (m.ok !== true) throw new Error(`${String(cmd.cmd)}: ${String(m.error)}`);
    return m;
  }

  /** The next message with this `event`. */
  next(event: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(l);
        reject(new Error(`no ${event} from ${this.proc.spawnfile} within ${timeoutMs / 1000} s; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs).unref();
      const l = (m: Record<string, unknown>) => {
        if (m.event !== event) return;
        clearTimeout(timer);
        this.listeners.delete(l);
        resolve(m);
      };
      this.listeners.add(l);
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await exited;
  }
}

// ---- one timed run ------------------------------------------------------------------------------------

interface RunResult {
  consumer: "s3beat" | "ceiling";
  seconds: number;
  events: number;
  cpuSeconds: number;
  peakRssBytes: number;
  /** VmRSS when the first message was taken (after startup). */
  rssAtTakenBytes: number;
  startupSeconds: number;
  /** s3beat only: which code bin/s3beat.js ran (dist/, or src/ when dist/ was older than a source file). */
  daemonCode?: string;
  emulatorCpuSeconds: number;
  receives: number;
}

interface Context {
  emulator: Helper;
  endpoint: string;
  sqs: SQSClient;
  work: string;
  collector?: Helper;
  collectorAddress?: string;
}

interface Prepared {
  data: DataSet;
  bucket: string;
  /** The notifications, posted again (the same bodies) before every run. */
  bodies: string[];
}

/** A queue of its own per run: a consumer stopped mid long poll leaves a waiter behind in the emulator, which would take the next run's first messages. */
interface RunQueue {
  name: string;
  url: string;
}

async function postNotifications(ctx: Context, p: Prepared, q: RunQueue): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < p.bodies.length; i += 10) batches.push(p.bodies.slice(i, i + 10));
  const worker = async () => {
    for (let b = batches.shift(); b; b = batches.shift()) {
      const out = await ctx.sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: b.map((MessageBody, i) => ({ Id: String(i), MessageBody })) }));
      if (out.Failed?.length) throw new Error(`SendMessageBatch: ${JSON.stringify(out.Failed[0])}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const attrs = await ctx.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  const visible = Number(attrs.Attributes?.ApproximateNumberOfMessages);
  const hidden = Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible);
  if (visible !== p.bodies.length || hidden !== 0)
    throw new Error(`queue ${q.name}: ${visible} visible and ${hidden} in flight, expected ${p.bodies.length} and 0`);
}

function daemonConfig(ctx: Context, w: Workload, q: RunQueue, outDir: string): string {
  const lines = [
    "s3beat:",
    `  sqsQueues: [${JSON.stringify(q.url)}]`,
    "  accessKeyID: ${S3BEAT_BENCH_ACCESS_KEY_ID}",
    "  secretAccessKey: ${S3BEAT_BENCH_SECRET_ACCESS_KEY}",
    `  endpoints: { sqs: ${JSON.stringify(ctx.endpoint)}, s3: ${JSON.stringify(ctx.endpoint)} }`,
    `  decoder: ${w.decoder}`,
    ...(w.expand ? [`  expandEventListFromField: ${w.expand}`] : []),
    "  heartbeatdisabled: true",
    ...EXTRA.map((kv) => `  ${kv}`),
  ];
  if (w.output === "file") {
    lines.push("output.file:", `  path: ${JSON.stringify(outDir)}`, "  rotate_every_kb: 10485760", "  number_of_files: 2");
  } else {
    lines.push("output.logstash:", `  hosts: [${JSON.stringify(ctx.collectorAddress)}]`, "  compression_level: 3");
  }
  lines.push("logging.level: warn", "logging.metrics.enabled: false", "http.enabled: false", `configVersion: ${CURRENT_CONFIG_VERSION}`, "");
  return lines.join("\n");
}

async function timedRun(ctx: Context, w: Workload, p: Prepared, consumer: "s3beat" | "ceiling", n: number): Promise<RunResult> {
  const name = `bench-${w.id.toLowerCase()}-${consumer}-${n}`;
  const { QueueUrl } = await ctx.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "300" } }));
  const q: RunQueue = { name, url: QueueUrl! };
  await postNotifications(ctx, p, q);
  const outDir = join(ctx.work, name);
  await mkdir(outDir, { recursive: true });
  await ctx.emulator.request({ cmd: "watch", queue: q.name });
  const taken = ctx.emulator.next("taken", RUN_TIMEOUT_MS);
  const drained = ctx.emulator.next("drained", RUN_TIMEOUT_MS);
  taken.catch(() => undefined);
  drained.catch(() => undefined);
  const ackedBefore = ctx.collector ? Number((await ctx.collector.request({ cmd: "count" })).acked) : 0;

  let child: ChildProcess;
  let stderr = "";
  let ceilingCount: Promise<Record<string, unknown>> | undefined;
  let codeRun: string | undefined;
  const spawnedAt = performance.now();
  if (consumer === "s3beat") {
    codeRun = daemonCode();
    const cfg = join(ctx.work, `${w.id}.yml`);
    await writeFile(cfg, daemonConfig(ctx, w, q, outDir), { mode: 0o600 });
    const profile = process.env.S3BEAT_BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.S3BEAT_BENCH_CPU_PROF}`] : [];
    child = spawn(process.execPath, [...profile, BIN, "run", "-c", cfg], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, S3BEAT_BENCH_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, S3BEAT_BENCH_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
    });
  } else {
    const args = { endpoint: ctx.endpoint, queueUrl: q.url, mode: w.ceiling, out: join(outDir, "ceiling.out") };
    child = fork(join(HERE, "ceiling.ts"), [JSON.stringify(args)], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    ceilingCount = new Promise((resolve) => child.on("message", (m: Record<string, unknown>) => m.event === "ceiling-stopped" && resolve(m)));
  }
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const died = exited.then((code) => {
    throw new Error(`${consumer} exited (${code}) before the queue was drained; stderr:\n${stderr}`);
  });
  died.catch(() => undefined);

  const fail = async (e: unknown): Promise<never> => {
    child.kill("SIGKILL");
    await exited;
    throw e;
  };
  const pid = child.pid!;
  const [cpu0, rssAtTaken] = await Promise.race([taken, died]).then(() => [cpuSeconds(pid), rss(pid, "VmRSS")] as const, fail);
  const startupSeconds = (performance.now() - spawnedAt) / 1000;
  const done = await Promise.race([drained, died]).catch(fail);
  const hwm = rss(pid, "VmHWM");
  const cpu1 = cpuSeconds(pid);

  const stopTimer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  child.kill("SIGTERM");
  const code = await exited;
  clearTimeout(stopTimer);
  if (code !== 0) throw new Error(`${consumer} exited with ${code} after the run; stderr:\n${stderr}`);

  await ctx.sqs.send(new DeleteQueueCommand({ QueueUrl: q.url }));
  let events: number;
  if (consumer === "ceiling") events = Number((await ceilingCount!).events);
  else if (w.output === "logstash") events = Number((await ctx.collector!.request({ cmd: "count" })).acked) - ackedBefore;
  else events = await countLines(outDir);
  await rm(outDir, { recursive: true, force: true });
  if (events !== p.data.events) throw new Error(`${w.id} ${consumer}: ${events} events delivered, expected ${p.data.events}; stderr:\n${stderr}`);
  if (consumer === "s3beat" && stderr.trim() !== "") log(`    (s3beat stderr: ${stderr.trim().split("\n").slice(0, 3).join(" | ").slice(0, 400)})`);

  return {
    consumer,
    seconds: Number(done.seconds),
    events,
    cpuSeconds: cpu1 - cpu0,
    peakRssBytes: hwm,
    rssAtTakenBytes: rssAtTaken,
    ...(codeRun !== undefined && { daemonCode: codeRun }),
    startupSeconds,
    emulatorCpuSeconds: Number(done.emulatorCpuSeconds),
    receives: Number(done.receives),
  };
}

// ---- workloads ----------------------------------------------------------------------------------------

interface Summary {
  eventsPerSec: number;
  mbPerSec: number;
  objectsPerSec: number;
  cpuSecondsPerGB: number;
  peakRssMiB: number;
  seconds: number;
}

interface WorkloadResult {
  id: string;
  title: string;
  objects: number;
  events: number;
  decodedBytes: number;
  storedBytes: number;
  s3beat: Summary & { runs: RunResult[] };
  ceiling?: Summary & { runs: RunResult[] };
  ratio?: number;
  pairRatios?: number[];
  emulatorCpuShare: number;
  rss: "PASS" | "FAIL";
}

function summarize(runs: RunResult[], data: DataSet): Summary {
  const seconds = median(runs.map((r) => r.seconds));
  return {
    seconds,
    eventsPerSec: data.events / seconds,
    mbPerSec: data.decodedBytes / 1e6 / seconds,
    objectsPerSec: data.objects.length / seconds,
    cpuSecondsPerGB: median(runs.map((r) => r.cpuSeconds / (data.decodedBytes / 1e9))),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssBytes)) / MiB,
  };
}

const describeRun = (r: RunResult, data: DataSet) =>
  `${r.seconds.toFixed(2)} s, ${fmt(data.events / r.seconds)} events/s, ${(data.decodedBytes / 1e6 / r.seconds).toFixed(1)} MB/s, ` +
  `CPU ${r.cpuSeconds.toFixed(2)} s, peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB (${(r.rssAtTakenBytes / MiB).toFixed(0)} MiB after a startup of ${r.startupSeconds.toFixed(1)} s)` +
  (r.daemonCode?.startsWith("src/") ? ` [ran ${r.daemonCode}]` : "");

async function prepare(ctx: Context, name: DataSet["name"], data: DataSet): Promise<Prepared> {
  const bucket = `bench-${name.toLowerCase()}`;
  await ctx.emulator.request({ cmd: "put", bucket, objects: data.objects.map((o) => ({ key: o.key, path: o.path })) });
  const bodies = data.objects.map((o) => s3Notification([{ bucket, key: o.key, size: o.size }]));
  return { data, bucket, bodies };
}

async function runWorkload(ctx: Context, w: Workload, p: Prepared): Promise<WorkloadResult> {
  const d = p.data;
  log(`\n${w.id}: ${w.title}`);
  log(`   ${fmt(d.objects.length)} objects, ${fmt(d.events)} events, ${(d.decodedBytes / 1e6).toFixed(1)} MB decoded, ${(d.size / 1e6).toFixed(1)} MB stored`);
  const runs: RunResult[] = [];
  const ceilings: RunResult[] = [];
  const ratios: number[] = [];
  for (let i = 1; i <= PAIRS; i++) {
    if (w.ceiling) {
      const c = await timedRun(ctx, w, p, "ceiling", i);
      log(`   ceiling #${i}: ${describeRun(c, d)}`);
      ceilings.push(c);
    }
    const r = await timedRun(ctx, w, p, "s3beat", i);
    log(`   s3beat  #${i}: ${describeRun(r, d)}`);
    runs.push(r);
    if (w.ceiling) ratios.push(ceilings.at(-1)!.seconds / r.seconds);
  }
  const s = summarize(runs, d);
  const result: WorkloadResult = {
    id: w.id,
    title: w.title,
    objects: d.objects.length,
    events: d.events,
    decodedBytes: d.decodedBytes,
    storedBytes: d.size,
    s3beat: { ...s, runs },
    emulatorCpuShare: median(runs.map((r) => r.emulatorCpuSeconds / r.seconds)),
    rss: s.peakRssMiB * MiB < RSS_LIMIT ? "PASS" : "FAIL",
  };
  if (w.ceiling) {
    result.ceiling = { ...summarize(ceilings, d), runs: ceilings };
    result.pairRatios = ratios;
    result.ratio = median(ratios);
  }
  log(
    `   → s3beat ${fmt(s.eventsPerSec)} events/s` +
      (result.ratio !== undefined ? `, ${(result.ratio * 100).toFixed(0)}% of the ceiling (pairs: ${ratios.map((x) => x.toFixed(2)).join(", ")})` : "") +
      `; peak RSS ${s.peakRssMiB.toFixed(0)} MiB < ${RSS_LIMIT / MiB} MiB: ${result.rss}`,
  );
  return result;
}

// ---- report -------------------------------------------------------------------------------------------

function cpuModel(): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
  return m?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
}

/** Which code the daemon runs: bin/s3beat.js takes dist/ only while it is newer than every source. */
function daemonCode(): string {
  const stamp = join(ROOT, "dist/.built");
  if (process.env.S3BEAT_FROM_SOURCE === "1") return "src/ (S3BEAT_FROM_SOURCE=1)";
  if (!existsSync(stamp)) return "src/ via type stripping (no build: run npm run build)";
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs),
      0,
    );
  const built = statSync(stamp).mtimeMs;
  const fresh = ["src", "migrations"].every((d) => !existsSync(join(ROOT, d)) || built >= newest(join(ROOT, d)));
  return fresh ? "dist/ (compiled)" : "src/ via type stripping (dist/ is older than the sources: run npm run build)";
}

function table(results: WorkloadResult[]): string {
  const head = ["", "events/s", "MB/s", "objects/s", "CPU s/GB", "peak RSS MiB", "ceiling ev/s", "ratio", "RSS<200MiB"];
  const rows = results.map((r) => [
    r.id,
    fmt(r.s3beat.eventsPerSec),
    r.s3beat.mbPerSec.toFixed(1),
    fmt(r.s3beat.objectsPerSec, r.s3beat.objectsPerSec < 10 ? 2 : 0),
    r.s3beat.cpuSecondsPerGB.toFixed(1),
    r.s3beat.peakRssMiB.toFixed(0),
    r.ceiling ? fmt(r.ceiling.eventsPerSec) : "-",
    r.ratio !== undefined ? r.ratio.toFixed(2) : "-",
    r.rss,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n");
}

async function main(): Promise<number> {
  const began = performance.now();
  const machine = {
    cores: os.availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  const code = daemonCode();
  log(`s3beat bench — ${new Date().toISOString()}`);
  log(
    `machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(" ")}`,
  );
  if (machine.loadAverageAtStart[0]! > 0.5 * machine.cores) log("  warning: the machine is busy; timings will be noisy");
  log("defaults:");
  log(
    `  scale ${SCALE} (S3BEAT_BENCH_SCALE), ${PAIRS} pairs per workload (S3BEAT_BENCH_PAIRS), workloads ${ONLY.join(",")}, peak RSS limit ${RSS_LIMIT / MiB} MiB${CHECK ? " (--check: enforced)" : ""}`,
  );
  log(`  s3beat: ${BIN} run -c <generated config>, code from ${code}; it re-executes itself with --max-semi-space-size=8`);
  if (EXTRA.length > 0) log(`    S3BEAT_BENCH_S3BEAT adds: ${EXTRA.join("; ")} (not the defaults: an experiment)`);
  log("    s3beat's defaults otherwise: maxMessagesInFlight 10, sqsWaitTime 20s, visibilityTimeout 5m, maxEventBytes 10MiB");
  log("    logging.level warn, logging.metrics.enabled false, http.enabled false, heartbeatdisabled true");
  log(
    "    output.file: rotate_every_kb 10485760 (a single file, so that every event can be counted); output.logstash: compression_level 3, bulk_max_size 2048",
  );
  log(
    "  ceiling: receive 10 (20 s long poll), then GetObject, gunzip, split lines, append to a file for the 10 at once, fdatasync, DeleteMessageBatch (B: JSON.parse the file, JSON.stringify each record)",
  );
  log(
    "  timed from the first message taken to the queue being empty (by the emulator); MB = 10^6 decoded bytes, GB = 10^9; CPU = utime+stime of the consumer over that time",
  );

  const progress = (m: string) => log(m);
  const emulator = new Helper("emulator.ts");
  const { endpoint } = (await emulator.next("ready")) as unknown as { endpoint: string };
  const work = await mkdtemp(join(os.tmpdir(), "s3beat-bench-"));
  const sqs = new SQSClient({ region: "us-east-1", endpoint, credentials: CREDENTIALS });
  const ctx: Context = { emulator, endpoint, sqs, work };
  const results: WorkloadResult[] = [];
  const counts = (n: number) => Math.max(1, Math.round(n * SCALE));
  try {
    log(`emulator (own process, pid ${emulator.proc.pid}) at ${endpoint}`);
    const want = (ids: string[]) => WORKLOADS.filter((w) => ids.includes(w.id) && ONLY.includes(w.id));
    for (const set of ["A", "B", "C", "E"] as const) {
      const ws = want(set === "A" ? ["A", "D"] : [set]);
      if (ws.length === 0) continue;
      log(`\npreparing data set ${set}…`);
      const data = set === "E" ? await bigObject(Math.round(E_BYTES * SCALE), progress) : objectSet(set, counts(COUNTS[set]), progress);
      const p = await prepare(ctx, set, data);
      try {
        for (const w of ws) {
          if (w.output === "logstash") {
            ctx.collector = new Helper("collector.ts");
            ctx.collectorAddress = String((await ctx.collector.next("ready")).address);
            log(`   collector (own process, pid ${ctx.collector.proc.pid}) at ${ctx.collectorAddress}`);
          }
          try {
            results.push(await runWorkload(ctx, w, p));
          } finally {
            await ctx.collector?.stop();
            ctx.collector = undefined;
          }
        }
      } finally {
        await emulator.request({ cmd: "clear", bucket: p.bucket });
      }
    }
  } finally {
    sqs.destroy();
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }

  results.sort((a, b) => a.id.localeCompare(b.id));
  const elapsed = (performance.now() - began) / 1000;
  log(`\nresults (scale ${SCALE}; medians of ${PAIRS} runs; ratio = median over pairs of s3beat's speed / the ceiling's; ${elapsed.toFixed(0)} s in all):`);
  log(table(results));
  const fromSource = results.filter((r) => r.s3beat.runs.some((x) => x.daemonCode?.startsWith("src/"))).map((r) => r.id);
  if (fromSource.length > 0) {
    log(
      `warning: s3beat ran from src/ (type stripping: slower start, ~20-30 MiB more RSS) in ${fromSource.join(", ")}: dist/ was older than a source file; run npm run build and do not edit src/ during the bench`,
    );
  }
  const failed = results.filter((r) => r.rss === "FAIL");
  log(failed.length === 0 ? `peak RSS < ${RSS_LIMIT / MiB} MiB: PASS` : `peak RSS ≥ ${RSS_LIMIT / MiB} MiB in ${failed.map((r) => r.id).join(", ")}: FAIL`);

  await mkdir(join(HERE, "results"), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => Number(x.toFixed(2))) },
    scale: SCALE,
    pairs: PAIRS,
    daemonCode: code,
    rssLimitMiB: RSS_LIMIT / MiB,
    elapsedSeconds: Number(elapsed.toFixed(1)),
    units: {
      mb: "10^6 decoded bytes",
      gb: "10^9 decoded bytes",
      rss: "MiB (VmHWM)",
      cpu: "utime+stime seconds from the first message taken to the queue being empty",
    },
    workloads: results,
  };
  await writeFile(RESULTS, JSON.stringify(report, null, 2) + "\n");
  log(`written to ${RESULTS}`);
  return CHECK && failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
