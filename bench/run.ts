/**
 * npm run bench: throughput and memory of the real daemon (a child process) on a 200 MB
 * (uncompressed) gzip NDJSON object, from the embedded emulator to output.console, compared with
 * a baseline measured in the same run: gunzip + line split of the same bytes, in-process, with no
 * S3, no event building and no output — the ceiling the pipeline can approach.
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
    const cfg = join(dir, "bench.yml");
    await writeFile(
      cfg,
      `s3beat:
  sqsQueues: ["${QueueUrl}"]
  accessKeyID: bench
  secretAccessKey: bench-secret
  endpoints: { sqs: "${emulator.endpoint}", s3: "${emulator.endpoint}" }
  decoder: ndjson
  sqsWaitTime: 1s
output.console: {}
logging.level: info
logging.metrics.period: 0
`,
    );

    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [BIN, "run", "-c", cfg], { stdio: ["ignore", "pipe", "pipe"] });
    let events = 0;
    let firstAt = 0n;
    let peakRss = 0;
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      if (firstAt === 0n) firstAt = process.hrtime.bigint();
      let i = -1;
      while ((i = d.indexOf(10, i + 1)) !== -1) events++;
      if (events >= obj.lines) child.kill("SIGTERM");
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, readRss(child.pid!))), 50);
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    clearInterval(sampler);
    const lastAt = process.hrtime.bigint();
    const stopped = stderr.split("\n").find((l) => l.includes('"s3beat stopped"'));
    const maxRss = stopped ? Number((JSON.parse(stopped) as { maxRssBytes: number }).maxRssBytes) : 0;
    peakRss = Math.max(peakRss, maxRss);
    s3.destroy();
    sqs.destroy();
    if (code !== 0 || events !== obj.lines) {
      console.error(stderr.slice(-3000));
      throw new Error(`daemon exited ${code} after ${events}/${obj.lines} events`);
    }

    const pipeSeconds = Number(lastAt - firstAt) / 1e9;
    const totalSeconds = Number(lastAt - started) / 1e9;
    const row = (name: string, seconds: number, n: number, rss: string) =>
      `  ${name.padEnd(34)} ${(n / seconds).toFixed(0).padStart(9)} events/s ${(obj.bytes / MB / seconds).toFixed(1).padStart(7)} MB/s ${seconds.toFixed(2).padStart(7)} s  ${rss}`;
    console.log("\nresults (MB = uncompressed MiB):");
    console.log(row("baseline: gunzip + split, in-proc", base.seconds, base.events, ""));
    console.log(row("s3beat: S3 -> ndjson -> console", pipeSeconds, events, `peak RSS ${(peakRss / MB).toFixed(0)} MB`));
    console.log(row("s3beat incl. startup", totalSeconds, events, ""));
    console.log(`  pipeline at ${((base.seconds / pipeSeconds) * 100).toFixed(0)}% of the baseline's speed`);
    const ok = peakRss > 0 && peakRss < RSS_LIMIT_BYTES;
    console.log(`  peak RSS ${(peakRss / MB).toFixed(0)} MB ${ok ? "<" : ">="} ${RSS_LIMIT_BYTES / MB} MB limit: ${ok ? "PASS" : "FAIL"}`);
    return ok ? 0 : 1;
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
