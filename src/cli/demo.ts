import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ConfigError, formatProblem, loadConfigFile } from "../config/load.ts";
import { Daemon } from "../daemon.ts";
import type { Emulator } from "../demo/emulator.ts";
import { eventBridgeObjectCreated, s3Notification, s3TestEvent, snsWrapped } from "../demo/notifications.ts";
import { demoSamples } from "../demo/samples.ts";
import { createLogger } from "../logging/logger.ts";
import { createOutput } from "../outputs/index.ts";
import { logEventCount, type Output, type OutputEvent } from "../outputs/output.ts";
import { sleep } from "../util/abort.ts";
import { PACKAGE_ROOT } from "../packageRoot.ts";
import { EXIT } from "./exit.ts";
import { printError } from "./loadConfig.ts";

const DEMO_CONFIG = join(PACKAGE_ROOT, "config", "demo.yml");
const BUCKET = "s3beat-demo-logs";
const QUEUE = "s3beat-demo-events";
const TIMEOUT_MS = 60_000;

/** Counts what the real output acknowledged, so the summary reports delivered events, not read ones. */
class CountingOutput implements Output {
  readonly name: string;
  acked = 0;
  readonly #inner: Output;
  constructor(inner: Output) {
    this.#inner = inner;
    this.name = inner.name;
  }
  async publish(events: readonly OutputEvent[]): Promise<void> {
    await this.#inner.publish(events);
    this.acked += logEventCount(events);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * The emulator is a development dependency: a production install (the container image, `npm ci
 * --omit=dev`) has none, and `demo` says where to run it instead.
 */
async function loadEmulator(): Promise<Emulator | undefined> {
  let start: typeof import("../demo/emulator.ts").startEmulator;
  try {
    ({ startEmulator: start } = await import("../demo/emulator.ts"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== "ERR_MODULE_NOT_FOUND") throw err;
    printError(
      "the demo needs the development install (its S3/SQS emulator is not in production installs or the image): clone the repository and run `npm ci && npm start`",
    );
    return undefined;
  }
  return start();
}

/**
 * The newcomer's first run: an embedded emulator on 127.0.0.1, sample objects and their
 * notifications in every shape S3 sends, and the real pipeline writing events to stdout.
 */
export async function demoCommand(): Promise<number> {
  const started = Date.now();
  const emulator = await loadEmulator();
  if (!emulator) return EXIT.usage;
  try {
    const env = { ...process.env, S3BEAT_DEMO_ENDPOINT: emulator.endpoint };
    let loaded: Awaited<ReturnType<typeof loadConfigFile>>;
    try {
      loaded = await loadConfigFile(DEMO_CONFIG, env);
    } catch (err) {
      if (err instanceof ConfigError) {
        printError(err.problems.map((p) => formatProblem(p, DEMO_CONFIG)).join("\n"));
        return EXIT.usage;
      }
      throw err;
    }
    const { settings } = loaded;
    const aws = { region: "us-east-1", endpoint: emulator.endpoint, credentials: { accessKeyId: "demo-access-key", secretAccessKey: "demo-secret-key" } };
    const s3 = new S3Client(aws);
    const sqs = new SQSClient(aws);

    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: QUEUE }));
    const samples = demoSamples();
    for (const s of samples) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: s.key, Body: s.body }));
    const ref = (i: number) => ({ bucket: BUCKET, key: samples[i]!.key, size: samples[i]!.body.length });
    const bodies = [
      s3Notification([ref(0), ref(1)]), // one message naming two objects
      snsWrapped(s3Notification([ref(2)])), // S3 → SNS → SQS
      eventBridgeObjectCreated(ref(3)), // S3 → EventBridge → SQS
      s3Notification([ref(4)]),
      s3TestEvent(BUCKET), // sent by S3 when notifications are configured
    ];
    for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));

    const log = createLogger({ level: settings.logging.level, format: settings.logging.format });
    const output = new CountingOutput(createOutput(settings.output, log));
    const daemon = new Daemon(settings, { log, output });
    await daemon.start();
    while (daemon.stats.messagesDeleted < bodies.length && Date.now() - started < TIMEOUT_MS) await sleep(50);
    await daemon.stop("demo finished");

    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    const left = Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    const expected = samples.reduce((n, s) => n + s.expectedEvents, 0);
    const ok = left === 0 && output.acked === expected && daemon.stats.messagesDeleted === bodies.length;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `s3beat demo: ${samples.length} objects in ${bodies.length} messages -> ${output.acked}/${expected} events delivered to output.${output.name}, ` +
        `${daemon.stats.messagesDeleted} messages deleted, ${left} left in the queue (${seconds}s) ${ok ? "OK" : "FAILED"}\n`,
    );
    s3.destroy();
    sqs.destroy();
    return ok ? EXIT.ok : EXIT.failure;
  } finally {
    await emulator.stop();
  }
}
