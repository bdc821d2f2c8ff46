import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { afterAll, beforeAll } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Upload } from "@aws-sdk/lib-storage";
import { startEmulator, type Emulator } from "../../src/demo/emulator.ts";
import type { HeartbeatEvent } from "../../src/events/heartbeat.ts";
import type { BeatEvent } from "../../src/events/event.ts";

/** The emulator (fauxqs over real HTTP on 127.0.0.1) with real SDK clients for the test's own setup. */
export interface TestAws {
  emulator: Emulator;
  endpoint: string;
  s3: S3Client;
  sqs: SQSClient;
  stop(): Promise<void>;
}

export const TEST_KEYS = { accessKeyId: "test-access-key", secretAccessKey: "test-secret-key" };

export async function startTestAws(): Promise<TestAws> {
  const emulator = await startEmulator();
  const cfg = { region: "us-east-1", endpoint: emulator.endpoint, credentials: TEST_KEYS };
  const s3 = new S3Client(cfg);
  const sqs = new SQSClient(cfg);
  return {
    emulator,
    endpoint: emulator.endpoint,
    s3,
    sqs,
    stop: async () => {
      s3.destroy();
      sqs.destroy();
      await emulator.stop();
    },
  };
}

export async function createBucket(aws: TestAws, name: string): Promise<void> {
  await aws.s3.send(new CreateBucketCommand({ Bucket: name }));
}

/** A queue with a dead-letter queue behind it (maxReceiveCount as given). */
export async function createQueue(aws: TestAws, name: string, maxReceiveCount = 5): Promise<{ url: string; dlqUrl: string }> {
  const dlq = await aws.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqAttrs = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }));
  const q = await aws.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttrs.Attributes?.QueueArn, maxReceiveCount }) },
    }),
  );
  return { url: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/** Uploads through lib-storage, so objects past the emulator's single-PUT cap go multipart. */
export async function putObject(aws: TestAws, bucket: string, key: string, body: Buffer | string): Promise<void> {
  await new Upload({ client: aws.s3, params: { Bucket: bucket, Key: key, Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
}

export async function sendBodies(aws: TestAws, queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const chunk = bodies.slice(i, i + 10);
    const out = await aws.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((b, j) => ({ Id: `e${j}`, MessageBody: b })) }));
    if (out.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed)}`);
  }
}

/** Visible + in-flight messages. */
export async function queueDepth(aws: TestAws, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return { visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

export async function tempDir(prefix = "s3beat-test-"): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function writeConfig(dir: string, yaml: string, name = "s3beat.yml"): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, yaml, { mode: 0o600 });
  return p;
}

/**
 * Every log event in a file output directory, oldest file first, and, apart, the beat's
 * heartbeats. A torn last line (a process killed mid-write) is skipped and counted rather than
 * failing the parse.
 */
export async function readFileOutput(dir: string, filename = "s3beat"): Promise<{ events: BeatEvent[]; heartbeats: HeartbeatEvent[]; torn: number }> {
  const names = (await readdir(dir)).filter((n) => n === filename || n.startsWith(`${filename}.`));
  const order = (n: string) => (n === filename ? 0 : Number(n.slice(filename.length + 1)));
  names.sort((a, b) => order(b) - order(a));
  const events: BeatEvent[] = [];
  const heartbeats: HeartbeatEvent[] = [];
  let torn = 0;
  for (const n of names) {
    for (const line of (await readFile(join(dir, n), "utf8")).split("\n")) {
      if (line === "") continue;
      let doc: BeatEvent | HeartbeatEvent;
      try {
        doc = JSON.parse(line) as BeatEvent | HeartbeatEvent;
      } catch {
        torn++;
        continue;
      }
      if ("heartbeat" in doc) heartbeats.push(doc);
      else events.push(doc);
    }
  }
  return { events, heartbeats, torn };
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * The s3beat.yml the integration tests start from: one queue on the emulator, the test keys, short
 * long polls. `s3beat` lines are appended to the s3beat section (indented two spaces).
 */
export function testConfig(aws: TestAws, queueUrl: string, opts: { s3beat?: string[]; output: string }): string {
  return [
    "s3beat:",
    `  sqsQueues: ["${queueUrl}"]`,
    "  accessKeyID: test-access-key",
    "  secretAccessKey: test-secret-key",
    `  endpoints: { sqs: "${aws.endpoint}", s3: "${aws.endpoint}" }`,
    "  sqsWaitTime: 1s",
    ...(opts.s3beat ?? []).map((l) => `  ${l}`),
    opts.output,
    "logging.metrics.period: 0",
    "",
  ].join("\n");
}

/** Starts the emulator and a temp dir (with a bucket) before a file's tests, and stops them after. */
export function useTestAws(bucket: string): { readonly aws: TestAws; readonly dir: string } {
  let aws: TestAws | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeAll(async () => {
    aws = await startTestAws();
    dir = await tempDir();
    await createBucket(aws, bucket);
  });
  afterAll(async () => {
    await aws?.stop();
    await dir?.remove();
  });
  return {
    get aws() {
      if (!aws) throw new Error("useTestAws: used outside a test");
      return aws;
    },
    get dir() {
      if (!dir) throw new Error("useTestAws: used outside a test");
      return dir.path;
    },
  };
}
