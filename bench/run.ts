/**
 * npm run bench: throughput and memory of the real daemon (a child process) on a 200 MB
 * (uncompressed) gzip NDJSON object, from the embedded emulator to output.console, compared with
 * a baseline measured in the same run: gunzip + line split of the same bytes, in-process, with no
 * S3, no event building and no output — the ceiling the pipeline can approach. A second run ships
 * the same object to a lumberjack v2 collector (output.logstash, compression level 3).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Upload } from "@aws-sdk/lib-storage";
import { startEmulator } from "../src/demo/emulator.ts";
import { s3Notification } from "../src/demo/notifications.ts";
import { linesDecoder } from "../src/reader/decoders/lines.ts";
import { decompressIfGzip } from "../src/reader/gzip.ts";
import { startLumberjackServer } from "../test/support/lumberjackServer.ts";

const TARGET_BYTES = Number(process.env.S3BEAT_BENCH_MB ?? 200) * 1024 * 1024;
const RSS_LIMIT_BYTES = 200 * 1024 * 1024;
const BIN = fileURLToPath(new URL("../bin/s3beat.js", import.meta.url));
const MB = 1024 * 1024;

async function makeObject(): Promise<{ gz: Buffer; lines: number; bytes: number }> {
  const gzip = createGzip({ level: 6 });
  const parts: Buffer[] = [];
  gzip.on("data", (c: Buffer) => parts.push(c));
  const done = new Promise((r) => gzip.on("end", r));
  let bytes = 0;
  let lines = 0;
  const levels = ["info", "info", "info", "warn", "error"];
  while (bytes < TARGET_BYTES) {
    let chunk = "";
    for (let i = 0; i < 2000; i++, lines++) {
      chunk +=
        JSON.stringify({
          "@ts": new Date(1_790_000_000_000 + lines).toISOString(),
          level: levels[lines % levels.length],
          service: `svc-${lines % 17}`,
          requestId: randomBytes(8).toString("hex"),
          msg: `request ${lines} served in ${lines % 997}ms for user-${lines % 5003}`,
          path: `/api/v1/items/${lines % 100_000}`,
        }) + "\n";
    }
    bytes += Buffer.byteLength(chunk);
    if (!gzip.write(chunk)) await new Promise((r) => gzip.once("drain", r));
  }
  gzip.end();
  await done;
  return { gz: Buffer.concat(parts), lines, bytes };
}

async function baseline(gz: Buffer): Promise<{ seconds: number; events: number }> {
  const started = process.hrtime.bigint();
  let events = 0;
  async function* chunks() {
    for (let i = 0; i < gz.length; i += 64 * 1024) yield gz.subarray(i, i + 64 * 1024);
  }
  for await (const _ of linesDecoder({ maxEventBytes: 10 * MB })(decompressIfGzip(chunks()))) events++;
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, events };
}

function readRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface RunResult {
  events: number;
  pipeSeconds: number;
  totalSeconds: number;
  peakRss: number;
}

/**
 * Runs the real daemon as a child process until `total` events are delivered (counted on its
 * stdout, or by `acked()` of a collector), then SIGTERM; samples its RSS all along.
 */
async function runDaemon(cfgPath: string, cfgText: string, total: number, count: "stdout" | (() => number)): Promise<RunResult> {
  await writeFile(cfgPath, cfgText);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, "run", "-c", cfgPath], { stdio: ["ignore", "pipe", "pipe"] });
  let events = 0;
  let firstAt = 0n;
  let lastAt = 0n;
  let peakRss = 0;
  let stderr = "";
  const seen = (n: number) => {
    if (firstAt === 0n && n > 0) firstAt = process.hrtime.bigint();
    events = n;
    if (events >= total && lastAt === 0n) {
      lastAt = process.hrtime.bigint();
      child.kill("SIGTERM");
    }
  };
  if (count === "stdout") {
    let n = 0;
    child.stdout.on("data", (d: Buffer) => {
      let i = -1;
      while ((i = d.indexOf(10, i + 1)) !== -1) n++;
      seen(n);
    });
  } else {
    child.stdout.resume();
  }
  const poll = count === "stdout" ? undefined : setInterval(() => seen(count()), 20);
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, readRss(child.pid!))), 50);
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  clearInterval(sampler);
  clearInterval(poll);
  const stopped = stderr.split("\n").find((l) => l.includes('"s3beat stopped"'));
  if (stopped) peakRss = Math.max(peakRss, Number((JSON.parse(stopped) as { maxRssBytes: number }).maxRssBytes));
  if (code !== 0 || events < total) {
    console.error(stderr.slice(-3000));
    throw new Error(`daemon exited ${code} after ${events}/${total} events`);
  }
  return { events, pipeSeconds: Number(lastAt - firstAt) / 1e9, totalSeconds: Number(lastAt - started) / 1e9, peakRss };
}

async function main(): Promise<number> {
  console.log(`s3beat bench: generating a ${(TARGET_BYTES / MB).toFixed(0)} MB NDJSON object (gzip)…`);
  const obj = await makeObject();
  console.log(`  ${obj.lines} lines, ${(obj.bytes / MB).toFixed(1)} MB uncompressed, ${(obj.gz.length / MB).toFixed(1)} MB gzip`);

  const base = await baseline(obj.gz);
  if (base.events !== obj.lines) throw new Error(`baseline decoded ${base.events} lines, expected ${obj.lines}`);

  const emulator = await startEmulator();
  const dir = await mkdtemp(join(tmpdir(), "s3beat-bench-"));
  try {
    const aws = { region: "us-east-1", endpoint: emulator.endpoint, credentials: { accessKeyId: "bench", secretAccessKey: "bench-secret" } };
    const s3 = new S3Client(aws);
    const sqs = new SQSClient(aws);
    await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
    await new Upload({ client: s3, params: { Bucket: "bench", Key: "bench/big.ndjson.gz", Body: obj.gz }, partSize: 8 * MB }).done();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "bench" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: s3Notification([{ bucket: "bench", key: "bench/big.ndjson.gz", size: obj.gz.length }]) }));
    const baseCfg = `s3beat:
  sqsQueues: ["${QueueUrl}"]
  accessKeyID: bench
  secretAccessKey: bench-secret
  endpoints: { sqs: "${emulator.endpoint}", s3: "${emulator.endpoint}" }
  decoder: ndjson
  sqsWaitTime: 1s
  heartbeatdisabled: true
logging.level: info
logging.metrics.period: 0
`;
    const send = () =>
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: s3Notification([{ bucket: "bench", key: "bench/big.ndjson.gz", size: obj.gz.length }]) }));

    const consoleRun = await runDaemon(join(dir, "console.yml"), `${baseCfg}output.console: {}\n`, obj.lines, "stdout");
    await send();
    const server = await startLumberjackServer({ keepEvents: false });
    let logstashRun: RunResult;
    try {
      logstashRun = await runDaemon(join(dir, "logstash.yml"), `${baseCfg}output.logstash:\n  hosts: ["${server.address}"]\n  compression_level: 3\n`, obj.lines, () => server.acked);
    } finally {
      await server.stop();
    }
    s3.destroy();
    sqs.destroy();

    const row = (name: string, seconds: number, n: number, rss: string) =>
      `  ${name.padEnd(38)} ${(n / seconds).toFixed(0).padStart(9)} events/s ${(obj.bytes / MB / seconds).toFixed(1).padStart(7)} MB/s ${seconds.toFixed(2).padStart(7)} s  ${rss}`;
    console.log("\nresults (MB = uncompressed MiB):");
    console.log(row("baseline: gunzip + split, in-proc", base.seconds, base.events, ""));
    for (const [name, r] of [["s3beat: S3 -> ndjson -> console", consoleRun], ["s3beat: S3 -> ndjson -> logstash (lz 3)", logstashRun]] as const) {
      console.log(row(name, r.pipeSeconds, r.events, `peak RSS ${(r.peakRss / MB).toFixed(0)} MB`));
      console.log(`    ${((base.seconds / r.pipeSeconds) * 100).toFixed(0)}% of the baseline's speed; ${r.totalSeconds.toFixed(2)} s including startup`);
    }
    const peak = Math.max(consoleRun.peakRss, logstashRun.peakRss);
    const ok = consoleRun.peakRss > 0 && peak < RSS_LIMIT_BYTES;
    console.log(`  peak RSS ${(peak / MB).toFixed(0)} MB ${ok ? "<" : ">="} ${RSS_LIMIT_BYTES / MB} MB limit: ${ok ? "PASS" : "FAIL"}`);
    return ok ? 0 : 1;
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
