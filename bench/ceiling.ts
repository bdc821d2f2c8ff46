/**
 * The bench's ceiling: the least work a consumer of these notifications must do, with the same
 * AWS SDK clients s3beat uses. A loop: receive 10 (long poll), then for each message at once:
 * GetObject, gunzip (when the object is gzip), split into lines (as strings), append the raw lines
 * to a file; then fdatasync the file (so that, like s3beat, nothing is deleted before it is
 * durable) and DeleteMessageBatch. `cloudtrail` mode instead JSON.parses each file and writes
 * JSON.stringify of every element of its Records array, one per line.
 *
 * No event building, no limits, no retries, no visibility extension, no metrics: s3beat's speed
 * divided by this one's is the share of the achievable speed that s3beat reaches.
 *
 * Usage (bench/run.ts forks it): node bench/ceiling.ts '{"endpoint":…,"queueUrl":…,"mode":"lines"|"cloudtrail","out":"/path/file"}'
 * Runs until SIGTERM; then it sends (IPC) or prints {events, objects}.
 */
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";

interface Args {
  endpoint: string;
  queueUrl: string;
  mode: "lines" | "cloudtrail";
  out: string;
}
const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const aws = { region: "us-east-1", endpoint: args.endpoint, credentials: { accessKeyId: "bench", secretAccessKey: "bench-secret" } };
const sqs = new SQSClient(aws);
const s3 = new S3Client({ ...aws, forcePathStyle: true });
const file = await open(args.out, "a");

let events = 0;
let objects = 0;
let stopping = false;

function report(): void {
  const m = { event: "ceiling-stopped", events, objects };
  if (process.send) process.send(m, () => process.exit(0));
  else {
    console.log(JSON.stringify(m));
    process.exit(0);
  }
}
process.on("SIGTERM", () => {
  stopping = true;
  report();
});

/** The object's bytes, decompressed when they start with the gzip magic bytes. */
async function* body(body: Readable): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest = (async function* () {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })();
  if (!(head[0] === 0x1f && head[1] === 0x8b)) {
    yield* rest;
    return;
  }
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  const feeding = (async () => {
    for await (const c of rest) if (!gunzip.write(c)) await new Promise((r) => gunzip.once("drain", r));
    gunzip.end();
  })();
  feeding.catch((e: unknown) => gunzip.destroy(e as Error));
  yield* gunzip as AsyncIterable<Buffer>;
  await feeding;
}

async function processObject(bucket: string, key: string): Promise<void> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const chunks = body(res.Body as Readable);
  if (args.mode === "cloudtrail") {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    const records = (JSON.parse(Buffer.concat(parts).toString("utf8")) as { Records: unknown[] }).Records;
    let text = "";
    for (const r of records) text += JSON.stringify(r) + "\n";
    await file.write(text);
    events += records.length;
  } else {
    const decoder = new StringDecoder("utf8");
    let carry = "";
    for await (const c of chunks) {
      const lines = (carry + decoder.write(c)).split("\n");
      carry = lines.pop()!;
      if (lines.length > 0) {
        await file.write(lines.join("\n") + "\n");
        events += lines.length;
      }
    }
    carry += decoder.end();
    if (carry !== "") {
      await file.write(carry + "\n");
      events++;
    }
  }
  objects++;
}

function objectsOf(m: Message): Array<{ bucket: string; key: string }> {
  const n = JSON.parse(m.Body ?? "{}") as { Records?: Array<{ s3: { bucket: { name: string }; object: { key: string } } }> };
  return (n.Records ?? []).map((r) => ({ bucket: r.s3.bucket.name, key: decodeURIComponent(r.s3.object.key.replace(/\+/g, " ")) }));
}

while (!stopping) {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: args.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }));
  if (Messages.length === 0) continue;
  await Promise.all(Messages.flatMap(objectsOf).map((o) => processObject(o.bucket, o.key)));
  await file.datasync();
  await sqs.send(
    new DeleteMessageBatchCommand({ QueueUrl: args.queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
  );
}
