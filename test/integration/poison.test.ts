import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { CreateQueueCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { AwsAuthError } from "../../src/aws/authErrors.ts";
import { loadConfigFile } from "../../src/config/load.ts";
import { Daemon } from "../../src/daemon.ts";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createLogger } from "../../src/logging/logger.ts";
import type { Output } from "../../src/outputs/output.ts";
import { handleMessage, type MessageHandlerDeps, type QueueContext } from "../../src/pipeline/messageHandler.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig, type TestAws } from "../support/aws.ts";

const BUCKET = "poison-bucket";

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, log: createLogger({ level: "info", format: "json", destination: sink }) };
}

const ref = (key: string) => ({ bucket: BUCKET, key, size: 1 });

/** Every message of a queue (with attributes), taken with a long visibility so none is seen twice. */
async function drain(aws: TestAws, url: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const r = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600, MessageAttributeNames: ["All"] }),
    );
    if (!r.Messages?.length) return out;
    out.push(...r.Messages);
  }
}

const poisonLines = (logs: Record<string, unknown>[]) => logs.filter((l) => String(l.message).startsWith("poison object "));

describe("poison objects go to the dead-letter queue at once", () => {
  const env = useTestAws(BUCKET);

  it("dead-letters truncated and corrupt gzip and non-JSON objects after one receive, shipping their readable events once; good messages are deleted", async () => {
    const { aws, dir } = env;
    const { url, dlqUrl } = await createQueue(aws, "poison", 3);

    const truncatedLines = Array.from({ length: 5000 }, (_, i) => `truncated line ${i} ${"x".repeat(40)}`);
    const whole = gzipSync(truncatedLines.join("\n") + "\n");
    const truncated = whole.subarray(0, Math.floor(whole.length / 2)); // a complete download of a cut object
    const corrupt = Buffer.from(gzipSync(Array.from({ length: 2000 }, (_, i) => `corrupt line ${i} ${Math.random()}`).join("\n")));
    corrupt.fill(0x55, 200, 400); // the header is fine, the deflate data is not
    await putObject(aws, BUCKET, "gz/truncated.log.gz", truncated);
    await putObject(aws, BUCKET, "gz/corrupt.log.gz", corrupt);
    await putObject(aws, BUCKET, "good/plain.log", "good 1\ngood 2\n");
    await putObject(aws, BUCKET, "json/not-json.json", "this is not JSON\nat all\n");
    await putObject(aws, BUCKET, "json/broken-after-two.json", '{"Records":[{"n":1},{"n":2}]} trailing garbage');
    // The wrong shape is flagged, not thrown: the value is shipped whole with error.message (as before).
    await putObject(aws, BUCKET, "json/wrong-shape.json", '{"other":1}');
    const bodies = {
      truncated: s3Notification([ref("gz/truncated.log.gz")]),
      corrupt: s3Notification([ref("gz/corrupt.log.gz")]),
      good: s3Notification([ref("good/plain.log")]),
      notJson: s3Notification([ref("json/not-json.json")]),
      brokenJson: s3Notification([ref("json/broken-after-two.json")]),
      wrongShape: s3Notification([ref("json/wrong-shape.json")]),
    };
    await sendBodies(aws, url, Object.values(bodies));

    const out = `${dir}/poison-out`;
    const cfg = await writeConfig(
      dir,
      testConfig(aws, url, {
        // A short backoff: were poison retried, it would come back within the wait below.
        s3beat: [
          "retryBackoff.init: 1s",
          "retryBackoff.max: 2s",
          "fileSelectors:",
          '  - keyRegex: "^json/"',
          "    decoder: json",
          "    expandEventListFromField: Records",
        ],
        output: `output.file: { path: ${out} }`,
      }),
      "poison.yml",
    );
    const { lines: logs, log } = captureLogs();
    const daemon = new Daemon((await loadConfigFile(cfg)).settings, { log });
    await daemon.start();
    try {
      await waitFor(
        "4 poison messages dead-lettered and 2 good ones deleted",
        async () => daemon.stats.messagesDeleted === 2 && (await queueDepth(aws, dlqUrl)).visible === 4,
        60_000,
      );
      await new Promise((r) => setTimeout(r, 3000)); // longer than the backoff: nothing comes back
    } finally {
      await daemon.stop("test done");
    }

    // One receive each: nothing retried, nothing left on the source queue.
    expect(daemon.stats).toMatchObject({ messagesReceived: 6, messagesRetried: 0, objectsPoison: 4, objectsFailed: 0 });
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 0 });

    const { events } = await readFileOutput(out);
    const of = (key: string) => events.filter((e) => e.aws.s3.object.key === key);
    // The truncated object: a prefix of its lines, each exactly once (the readable part, shipped once).
    const t = of("gz/truncated.log.gz").map((e) => e.message);
    expect(t.length).toBeGreaterThan(1024);
    expect(t.length).toBeLessThan(5000);
    expect(t).toEqual(truncatedLines.slice(0, t.length));
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
    expect(of("json/broken-after-two.json").map((e) => e.message)).toEqual(['{"n":1}', '{"n":2}']);
    expect(of("json/not-json.json")).toEqual([]);
    expect(of("good/plain.log").map((e) => e.message)).toEqual(["good 1", "good 2"]);
    expect(of("json/wrong-shape.json").map((e) => [e.message, e.error?.message])).toEqual([['{"other":1}', 'field "Records" not found']]);

    // Logged once each, with bucket, key, offset, what is wrong and what happens now.
    const poison = poisonLines(logs);
    expect(poison).toHaveLength(4);
    const byKey = new Map(poison.map((l) => [l.key, l]));
    expect(byKey.get("gz/truncated.log.gz")).toMatchObject({
      "log.level": "error",
      queue: "poison",
      bucket: BUCKET,
      events: t.length,
      action: "dead-letter",
      receiveCount: 1,
    });
    expect(String(byKey.get("gz/truncated.log.gz")?.message)).toMatch(
      /^poison object s3:\/\/poison-bucket\/gz\/truncated\.log\.gz at byte \d+: corrupt gzip data after \d+ compressed bytes: unexpected end of file; the \d+ events before it were shipped\. Reading it again cannot succeed, so the message was moved to the dead-letter queue arn:aws:sqs:[^ ]+:poison-dlq at once \(not retried\)/,
    );
    expect(String(byKey.get("gz/corrupt.log.gz")?.message)).toMatch(/corrupt gzip data after \d+ compressed bytes: .*moved to the dead-letter queue/);
    expect(String(byKey.get("json/not-json.json")?.message)).toMatch(
      /at byte 0: the decoder rejected the data: malformed JSON at byte 0: invalid literal "this"; the 0 events/,
    );
    expect(byKey.get("json/broken-after-two.json")).toMatchObject({ events: 2, offset: 30 });
    for (const l of poison) expect(typeof l.messageId).toBe("string");

    // The dead-letter queue holds the original bodies, with s3beat's reason, the source queue and the original id.
    const dead = await drain(aws, dlqUrl);
    expect(dead.map((m) => m.Body).sort()).toEqual([bodies.truncated, bodies.corrupt, bodies.notJson, bodies.brokenJson].sort());
    const truncatedMsg = dead.find((m) => m.Body === bodies.truncated)!;
    expect(truncatedMsg.MessageAttributes?.["s3beat.reason"]?.StringValue).toMatch(
      /^poison object s3:\/\/poison-bucket\/gz\/truncated\.log\.gz at byte \d+: corrupt gzip data .*unexpected end of file/,
    );
    expect(truncatedMsg.MessageAttributes?.["s3beat.sourceQueue"]?.StringValue).toMatch(/^arn:aws:sqs:us-east-1:\d*:poison$/);
    expect(truncatedMsg.MessageAttributes?.["s3beat.originalMessageId"]?.StringValue).toBe(byKey.get("gz/truncated.log.gz")?.messageId);
    expect(dead.find((m) => m.Body === bodies.notJson)?.MessageAttributes?.["s3beat.reason"]?.StringValue).toMatch(/malformed JSON at byte 0/);
  });

  it("keeps a poison message for retry (backoff) when the queue has no dead-letter queue, and still deletes the good ones", async () => {
    const { aws, dir } = env;
    const url = (await aws.sqs.send(new CreateQueueCommand({ QueueName: "poison-no-dlq" }))).QueueUrl!;
    const whole = gzipSync(Array.from({ length: 2000 }, (_, i) => `no dlq line ${i} ${Math.random()}`).join("\n"));
    await putObject(aws, BUCKET, "nodlq/truncated.log.gz", whole.subarray(0, whole.length - 100));
    await putObject(aws, BUCKET, "nodlq/good.log", "fine\n");
    await sendBodies(aws, url, [s3Notification([ref("nodlq/truncated.log.gz")]), s3Notification([ref("nodlq/good.log")])]);

    const out = `${dir}/no-dlq-out`;
    const cfg = await writeConfig(dir, testConfig(aws, url, { s3beat: ["retryBackoff.init: 5m"], output: `output.file: { path: ${out} }` }), "no-dlq.yml");
    const { lines: logs, log } = captureLogs();
    const daemon = new Daemon((await loadConfigFile(cfg)).settings, { log });
    await daemon.start();
    try {
      await waitFor("the good message deleted and the poison one kept", () => daemon.stats.messagesDeleted === 1 && daemon.stats.messagesRetried === 1);
    } finally {
      await daemon.stop("test done");
    }
    expect(daemon.stats).toMatchObject({ objectsPoison: 1, objectsRead: 1 });
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 1 }); // kept, hidden for the backoff
    const poison = poisonLines(logs);
    expect(poison).toHaveLength(1);
    expect(poison[0]).toMatchObject({ "log.level": "error", key: "nodlq/truncated.log.gz", action: "retry", retryInSeconds: 300 });
    expect(String(poison[0]?.message)).toMatch(
      /The queue has no dead-letter queue \(no usable RedrivePolicy\), so it is retried like any failure .* The message is kept for retry in 300s \(receive 1\)\.$/,
    );
    // Logged once: no second "kept for retry" line for the same message.
    expect(logs.filter((l) => String(l.message).startsWith("message kept for retry"))).toEqual([]);
    const { events } = await readFileOutput(out);
    expect(events.filter((e) => e.aws.s3.object.key === "nodlq/good.log").map((e) => e.message)).toEqual(["fine"]);
    // The readable part of the poison object was shipped on this receive (and will be on each retry).
    expect(events.filter((e) => e.aws.s3.object.key === "nodlq/truncated.log.gz")).toHaveLength(Number(poison[0]?.events));
  });
});

describe("dead-lettering, with fake SQS calls", () => {
  const whole = gzipSync(Array.from({ length: 500 }, (_, i) => `fake line ${i} ${Math.random()}`).join("\n"));
  const truncated = whole.subarray(0, whole.length - 50);
  const msg = { messageId: "m-1", receiptHandle: "rh-1", body: s3Notification([ref("k.log.gz")]), receiveCount: 1 };
  const DLQ = { arn: "arn:aws:sqs:us-east-1:111111111111:q-dlq", url: "https://sqs.us-east-1.amazonaws.com/111111111111/q-dlq", maxReceiveCount: 5 };

  function setup(send: () => Promise<void>) {
    const calls: string[] = [];
    const { lines: logs, log } = captureLogs();
    const output: Output = { name: "fake", publish: async () => void calls.push("publish"), close: async () => {} } as unknown as Output;
    const queue: QueueContext = {
      name: "q",
      region: "us-east-1",
      settler: { delete: async () => void calls.push("delete"), changeVisibility: async (_rh, s) => void calls.push(`visibility ${s}`) },
      objects: {
        getObject: async () =>
          (async function* () {
            yield truncated;
          })(),
      },
      metrics: new Metrics({ version: "test" }).forQueue("q"),
      deadLetter: {
        queueArn: "arn:aws:sqs:us-east-1:111111111111:q",
        lookup: { find: async () => DLQ },
        sender: {
          sendToDeadLetter: async (_dlq, body, attributes) => {
            calls.push("send");
            expect(body).toBe(msg.body);
            expect(attributes).toMatchObject({ "s3beat.sourceQueue": "arn:aws:sqs:us-east-1:111111111111:q", "s3beat.originalMessageId": "m-1" });
            await send();
          },
        },
      },
    };
    const deps: MessageHandlerDeps = {
      decoderFor: () => linesDecoder({ maxEventBytes: 1024 }),
      output,
      log,
      version: "test",
      visibilityTimeoutSeconds: 300,
      receiveVisibilitySeconds: 30,
      backoff: { initSeconds: 30, maxSeconds: 900 },
    };
    return { calls, logs, run: () => handleMessage(msg, queue, deps, new AbortController().signal) };
  }

  it("sends to the dead-letter queue first, and deletes only after that succeeded", async () => {
    const { calls, logs, run } = setup(async () => {});
    await run();
    expect(calls.filter((c) => c !== "publish")).toEqual(["send", "delete"]);
    expect(poisonLines(logs)).toHaveLength(1);
  });

  it("keeps the message for retry when SendMessage is refused, naming sqs:SendMessage and the dead-letter queue", async () => {
    const denied = new AwsAuthError(
      `SendMessage on ${DLQ.arn} failed (AccessDenied): the base credentials are not allowed to sqs:SendMessage on ${DLQ.arn}. Fix: allow "sqs:SendMessage" on "${DLQ.arn}" in the base user's policy.`,
      "AccessDenied",
      new Error("denied"),
    );
    const { calls, logs, run } = setup(async () => {
      throw denied;
    });
    await run();
    expect(calls.filter((c) => c !== "publish")).toEqual(["send", "visibility 30"]); // never deleted
    const poison = poisonLines(logs);
    expect(poison).toHaveLength(1);
    expect(poison[0]).toMatchObject({ action: "retry", retryInSeconds: 30, key: "k.log.gz" });
    expect(String(poison[0]?.message)).toContain(`It could not be sent to the dead-letter queue ${DLQ.arn}: SendMessage on ${DLQ.arn} failed (AccessDenied)`);
    expect(String(poison[0]?.message)).toContain(
      `in the base user's policy. s3beat needs the permission sqs:SendMessage on ${DLQ.arn} to move poison messages there at once. It is retried until the queue's maxReceiveCount (5) moves it there`,
    );
  });
});
