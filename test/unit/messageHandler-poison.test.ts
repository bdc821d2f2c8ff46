/**
 * handleMessage's settlements beyond plain delivery, with fakes: test events, malformed bodies and
 * unusable records, a failed object that stops the message, and poison objects — moved to the
 * queue's dead-letter queue at once (SendMessage, then the delete, never the other way round) or
 * retried with backoff when there is none, it cannot be looked up, or sending there fails — with
 * what the operator reads in each case.
 */
import { describe, expect, it } from "vitest";
import { s3Notification, s3TestEvent } from "../../src/demo/notifications.ts";
import type { Decoder } from "../../src/objects/decoders/decoder.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { handleMessage, type DeadLetterRoute, type MessageHandlerDeps, type QueueContext } from "../../src/pipeline/messageHandler.ts";
import type { DeadLetterQueue } from "../../src/sqs/sqsQueue.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";
import { definedOnly } from "../../src/util/optional.ts";
import { captureLogs } from "../support/logCapture.ts";

const DLQ: DeadLetterQueue & { maxReceiveCount?: number } = {
  arn: "arn:aws:sqs:us-east-1:123456789012:logs-dlq",
  url: "https://sqs.us-east-1.amazonaws.com/123456789012/logs-dlq",
  maxReceiveCount: 5,
};
const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:logs";

const sdkError = (name: string, fields: Record<string, unknown> = {}) => Object.assign(new Error(`${name}: refused`), { name, ...fields });

/** Yields one line, then rejects the data at byte 9: poison (the decoder's own error). */
const poisonDecoder: Decoder = async function* () {
  yield { offset: 0, text: "good line", truncated: false };
  throw new Error("malformed JSON at byte 9");
};

interface Options {
  body?: string;
  /** Keys whose decoder throws (poison; default bad.json); the others read as lines. */
  poisonKeys?: string[];
  /** Keys whose GetObject fails with a transient error. */
  failingKeys?: string[];
  /** The queue's dead-letter route; `false` for none. */
  deadLetter?: false | { find?: () => Promise<(DeadLetterQueue & { maxReceiveCount?: number }) | undefined>; send?: () => Promise<void> };
  deleteFails?: boolean;
  visibilityFails?: boolean;
  receiveCount?: number;
  /** Aborts (shutdown) while the dead-letter queue is being looked up. */
  abortInLookup?: boolean;
}

function setup(o: Options = {}) {
  const calls: string[] = [];
  const sent: { dlq: DeadLetterQueue; body: string; attributes: Record<string, string>; dedupId: string }[] = [];
  const { log, lines } = captureLogs();
  const ac = new AbortController();
  const metrics = new Metrics({ version: "test", defaultMetrics: false });
  let deadLetter: DeadLetterRoute | undefined;
  if (o.deadLetter !== false) {
    const d = o.deadLetter ?? {};
    deadLetter = {
      queueArn: QUEUE_ARN,
      lookup: {
        find: async () => {
          calls.push(`lookup (in flight: ${inFlight.reduce((a, b) => a + b, 0)})`);
          if (o.abortInLookup) ac.abort(new Error("shutdown"));
          return d.find ? d.find() : DLQ;
        },
      },
      sender: {
        sendToDeadLetter: async (dlq, body, attributes, dedupId) => {
          calls.push("send");
          await d.send?.();
          sent.push({ dlq, body, attributes, dedupId });
        },
      },
    };
  }
  const read: string[] = [];
  const queueMetrics = metrics.forQueue("logs");
  /** The in-flight gauge's changes, in order. */
  const inFlight: number[] = [];
  const queue: QueueContext = {
    name: "logs",
    region: "us-east-1",
    settler: {
      delete: async (handle) => {
        calls.push(`delete ${handle}`);
        if (o.deleteFails) throw sdkError("ServiceUnavailable");
      },
      changeVisibility: async (handle, seconds) => {
        calls.push(`visibility ${handle} ${seconds}`);
        if (o.visibilityFails) throw sdkError("ServiceUnavailable");
      },
    },
    objects: {
      getObject: async (ref) => {
        read.push(ref.key);
        if (o.failingKeys?.includes(ref.key)) throw sdkError("SlowDown", { $metadata: { httpStatusCode: 503 } });
        return (async function* () {
          yield Buffer.from("good line\nsecond line\n");
        })();
      },
    },
    metrics: { ...queueMetrics, inFlight: (delta) => void inFlight.push(delta) },
    ...definedOnly({ deadLetter }),
  };
  const deps: MessageHandlerDeps = {
    decoderFor: (key) => ((o.poisonKeys ?? ["bad.json"]).includes(key) ? poisonDecoder : linesDecoder({ maxEventBytes: 1 << 20 })),
    output: { name: "fake", publish: async () => undefined, close: async () => undefined },
    log,
    version: "test",
    visibilityTimeoutSeconds: 300,
    receiveVisibilitySeconds: 300,
    backoff: { initSeconds: 30, maxSeconds: 900 },
  };
  const msg = {
    messageId: "m-1",
    receiptHandle: "rh-1",
    body: o.body ?? s3Notification([{ bucket: "b", key: "bad.json", size: 30 }]),
    receiveCount: o.receiveCount ?? 1,
  };
  return {
    calls,
    sent,
    read,
    inFlight,
    msg,
    stats: () => metrics.stats,
    /** Log lines at `level` (pino numbers: 30 info, 40 warn, 50 error). */
    logs: (level: number) => lines.filter((l) => l.level === level),
    run: () => handleMessage(msg, queue, deps, ac.signal),
  };
}

describe("handleMessage: messages that name no object", () => {
  it("an s3:TestEvent is deleted and logged as the check of the notification setup", async () => {
    const t = setup({ body: s3TestEvent("logs-bucket") });
    await t.run();
    expect(t.calls).toEqual(["delete rh-1"]);
    expect(t.stats()).toMatchObject({ testEvents: 1, messagesDeleted: 1, objectsRead: 0 });
    expect(t.logs(30)).toEqual([expect.objectContaining({ bucket: "logs-bucket", msg: expect.stringContaining("s3:TestEvent received") })]);
  });

  it("a malformed body is deleted; the log names why and quotes the first 300 characters", async () => {
    const body = `{"not":"a notification"}${"x".repeat(400)}`;
    const t = setup({ body });
    await t.run();
    expect(t.calls).toEqual(["delete rh-1"]);
    expect(t.stats()).toMatchObject({ messagesMalformed: 1, messagesDeleted: 1 });
    expect(t.logs(20)).toEqual([expect.objectContaining({ msg: "message deleted" })]);
    const [line, ...rest] = t.logs(50);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ queue: "logs", messageId: "m-1", bodyExcerpt: body.slice(0, 300) });
    expect(String(line?.msg)).toMatch(/^malformed notification deleted: \S/);
  });

  it("unusable records are logged and skipped; the usable ones are read and the message deleted", async () => {
    const good = JSON.parse(s3Notification([{ bucket: "b", key: "ok.log", size: 10 }])) as { Records: unknown[] };
    const t = setup({ body: JSON.stringify({ Records: [42, ...good.Records, "x"] }) });
    await t.run();
    expect(t.read).toEqual(["ok.log"]);
    expect(t.calls).toEqual(["delete rh-1"]);
    const errors = t.logs(50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      problems: ["Records[0] is not an object", "Records[2] is not an object"],
      msg: "notification has unusable records, skipped: Records[0] is not an object; Records[2] is not an object",
    });
  });
});

describe("handleMessage: a failed object", () => {
  it("stops the message (later objects are read on the retry) and is logged with its bucket and key", async () => {
    const t = setup({
      body: s3Notification([
        { bucket: "b", key: "first.log", size: 10 },
        { bucket: "b", key: "broken.log", size: 10 },
        { bucket: "b", key: "later.log", size: 10 },
      ]),
      failingKeys: ["broken.log"],
      receiveCount: 2,
    });
    await t.run();
    expect(t.read).toEqual(["first.log", "broken.log"]);
    expect(t.calls).toEqual(["visibility rh-1 60"]);
    expect(t.stats()).toMatchObject({ objectsRead: 1, objectsFailed: 1, messagesRetried: 1, messagesDeleted: 0 });
    const failed = t.logs(50).find((l) => l.key === "broken.log");
    expect(failed).toMatchObject({ bucket: "b", queue: "logs", messageId: "m-1" });
    expect(String(failed?.msg)).toContain("SlowDown");
    expect(t.logs(40)).toEqual([
      expect.objectContaining({ receiveCount: 2, retryInSeconds: 60, msg: expect.stringContaining("message kept for retry in 60s (receive 2;") }),
    ]);
  });

  it("a settlement SQS refuses is logged (the message comes back: a duplicate, never a loss)", async () => {
    const t = setup({ body: s3Notification([{ bucket: "b", key: "ok.log", size: 10 }]), deleteFails: true });
    await t.run();
    expect(t.calls).toEqual(["delete rh-1"]);
    expect(t.stats()).toMatchObject({ messagesDeleted: 0, messagesReleaseFailed: 0 });
    expect(t.inFlight).toEqual([1, -1]);
    expect(t.logs(50)).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^could not delete message: .*ServiceUnavailable/) })]);
  });
});

describe("handleMessage: a poison object", () => {
  const poisonLine = (t: ReturnType<typeof setup>) => {
    const found = t.logs(50).filter((l) => String(l.msg).startsWith("poison object"));
    expect(found).toHaveLength(1);
    return found[0] as Record<string, unknown> & { msg: string };
  };

  it("goes to the dead-letter queue at once: SendMessage of the original body, then the delete", async () => {
    const t = setup();
    await t.run();
    expect(t.calls).toEqual(["lookup (in flight: 1)", "send", "delete rh-1"]);
    expect(t.sent).toEqual([
      {
        dlq: DLQ,
        body: t.msg.body,
        attributes: {
          "s3beat.reason": "poison object s3://b/bad.json at byte 9: the decoder rejected the data: malformed JSON at byte 9",
          "s3beat.sourceQueue": QUEUE_ARN,
          "s3beat.originalMessageId": "m-1",
        },
        dedupId: "m-1",
      },
    ]);
    expect(t.stats()).toMatchObject({ objectsPoison: 1, messagesRetried: 0 });
    const line = poisonLine(t);
    expect(line).toMatchObject({ bucket: "b", key: "bad.json", offset: 9, events: 1, receiveCount: 1, action: "dead-letter", deadLetterQueue: DLQ.arn });
    expect(line.msg).toBe(
      `poison object s3://b/bad.json at byte 9: the decoder rejected the data: malformed JSON at byte 9; the 1 events before it were shipped. ` +
        `Reading it again cannot succeed, so the message was moved to the dead-letter queue ${DLQ.arn} at once (not retried). Fix or replace the object, then redrive the message.`,
    );
  });

  it("a reason over 1024 characters is cut to 1024, ending in an ellipsis", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `folder/with/a/long/name/object-${i}.json`);
    const t = setup({ body: s3Notification(keys.map((key) => ({ bucket: "b", key, size: 30 }))), poisonKeys: keys });
    await t.run();
    const reason = t.sent[0]?.attributes["s3beat.reason"] ?? "";
    expect(reason).toHaveLength(1024);
    expect(reason.endsWith("…")).toBe(true);
    expect(reason.startsWith("poison object s3://b/folder/with/a/long/name/object-0.json at byte 9")).toBe(true);
    expect(t.logs(50).filter((l) => String(l.msg).startsWith("poison object"))).toHaveLength(30);
  });

  it("a short reason is sent whole, one part per poison object", async () => {
    const t = setup({
      body: s3Notification([
        { bucket: "b", key: "p1", size: 9 },
        { bucket: "b", key: "ok", size: 9 },
        { bucket: "b", key: "p2", size: 9 },
      ]),
      poisonKeys: ["p1", "p2"],
    });
    await t.run();
    expect(t.read).toEqual(["p1", "ok", "p2"]); // the objects after a poison one are read: the message is not read again
    expect(t.sent[0]?.attributes["s3beat.reason"]).toBe(
      "poison object s3://b/p1 at byte 9: the decoder rejected the data: malformed JSON at byte 9; poison object s3://b/p2 at byte 9: the decoder rejected the data: malformed JSON at byte 9",
    );
  });

  it.each<[string, Options, string[], RegExp]>([
    [
      "the queue has no dead-letter route",
      { deadLetter: false },
      ["visibility rh-1 60"],
      /The queue has no dead-letter queue \(no usable RedrivePolicy\).*Fix: give the queue a dead-letter queue/,
    ],
    [
      "its RedrivePolicy names none",
      { deadLetter: { find: async () => undefined } },
      ["lookup (in flight: 1)", "visibility rh-1 60"],
      /The queue has no dead-letter queue/,
    ],
    [
      "the lookup fails",
      { deadLetter: { find: () => Promise.reject(sdkError("AccessDenied")) } },
      ["lookup (in flight: 1)", "visibility rh-1 60"],
      /could not be looked up \(AccessDenied: refused\), so it cannot be moved there now: it is retried until the queue's maxReceiveCount moves it there/,
    ],
    [
      "SendMessage is denied (the permission is named)",
      { deadLetter: { send: () => Promise.reject(sdkError("AccessDenied")) } },
      ["lookup (in flight: 1)", "send", "visibility rh-1 60"],
      new RegExp(
        `It could not be sent to the dead-letter queue ${DLQ.arn}: AccessDenied: refused\\. s3beat needs the permission sqs:SendMessage on ${DLQ.arn} to move poison messages there at once\\. It is retried until the queue's maxReceiveCount \\(5\\) moves it there`,
      ),
    ],
    [
      "SendMessage fails otherwise (no permission hint)",
      { deadLetter: { send: () => Promise.reject(sdkError("ServiceUnavailable")) } },
      ["lookup (in flight: 1)", "send", "visibility rh-1 60"],
      new RegExp(
        `It could not be sent to the dead-letter queue ${DLQ.arn}: ServiceUnavailable: refused\\. It is retried until the queue's maxReceiveCount \\(5\\) moves`,
      ),
    ],
  ])("is retried with backoff when %s", async (_name, options, calls, fate) => {
    const t = setup({ ...options, receiveCount: 2 });
    await t.run();
    expect(t.calls).toEqual(calls);
    expect(t.sent).toEqual([]);
    expect(t.stats()).toMatchObject({ objectsPoison: 1, messagesRetried: 1, messagesDeleted: 0 });
    const line = poisonLine(t);
    expect(line).toMatchObject({ key: "bad.json", offset: 9, events: 1, receiveCount: 2, action: "retry", retryInSeconds: 60 });
    expect(line.msg).toMatch(fate);
    expect(line.msg).toMatch(/The message is kept for retry in 60s \(receive 2\)\.$/);
  });

  it.each<[string, unknown]>([
    ["by its code field", sdkError("Error", { code: "AccessDeniedException" })],
    ["by its Code field", sdkError("Error", { Code: "AWS.SimpleQueueService.NotAuthorized" })],
    ["by HTTP 403", sdkError("Error", { $metadata: { httpStatusCode: 403 } })],
    ["by an AuthorizationError name", sdkError("AuthorizationError")],
    ["by a Forbidden name", sdkError("Forbidden")],
  ])("a denied SendMessage is recognised %s", async (_name, error) => {
    const t = setup({ deadLetter: { send: () => Promise.reject(error) } });
    await t.run();
    expect(poisonLine(t).msg).toContain("s3beat needs the permission sqs:SendMessage");
  });

  it("without a maxReceiveCount the retry names the queue's maxReceiveCount in general", async () => {
    const { maxReceiveCount: _, ...noMax } = DLQ;
    const t = setup({ deadLetter: { find: async () => noMax, send: () => Promise.reject(sdkError("ServiceUnavailable")) } });
    await t.run();
    expect(poisonLine(t).msg).toContain("It is retried until the queue's maxReceiveCount moves it there");
  });

  it("a transient failure in the same message wins: retried as a whole, no lookup, no SendMessage", async () => {
    const t = setup({
      body: s3Notification([
        { bucket: "b", key: "bad.json", size: 30 },
        { bucket: "b", key: "broken.log", size: 10 },
      ]),
      poisonKeys: ["bad.json"],
      failingKeys: ["broken.log"],
      receiveCount: 3,
    });
    await t.run();
    expect(t.calls).toEqual(["visibility rh-1 120"]);
    const line = poisonLine(t);
    expect(line).toMatchObject({ action: "retry", retryInSeconds: 120 });
    expect(line.msg).toContain("Another object of the message failed (see its line), so the message is retried as a whole");
  });

  it("sent to the dead-letter queue but not deleted: logged as a duplicate to come", async () => {
    const t = setup({ deleteFails: true });
    await t.run();
    expect(t.calls).toEqual(["lookup (in flight: 1)", "send", "delete rh-1"]);
    const line = poisonLine(t);
    expect(line).toMatchObject({ action: "dead-letter", deadLetterQueue: DLQ.arn });
    expect(line.msg).toMatch(
      /was sent to the dead-letter queue .*logs-dlq, but could not be deleted from the queue \(.*ServiceUnavailable.*\): it comes back after its visibility timeout/,
    );
  });

  it("a retry backoff SQS refuses is logged: the message comes back after its visibility timeout", async () => {
    const t = setup({ deadLetter: false, visibilityFails: true });
    await t.run();
    const failed = t.logs(50).filter((l) => String(l.msg).startsWith("could not set the retry backoff"));
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.msg)).toMatch(/ServiceUnavailable.*; it comes back after its visibility timeout$/);
  });

  it("shutdown during the dead-letter lookup releases the message instead", async () => {
    const t = setup({ abortInLookup: true });
    await t.run();
    expect(t.calls).toEqual(["lookup (in flight: 1)", "visibility rh-1 0"]);
    expect(t.sent).toEqual([]);
    expect(t.stats()).toMatchObject({ messagesReleased: 1, messagesDeleted: 0 });
    expect(t.logs(30)).toEqual([expect.objectContaining({ msg: "shutdown: message released for redelivery" })]);
  });

  it("a release SQS refuses is counted and logged", async () => {
    const t = setup({ abortInLookup: true, visibilityFails: true });
    await t.run();
    expect(t.stats()).toMatchObject({ messagesReleased: 0, messagesReleaseFailed: 1 });
    expect(t.logs(50)).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^could not release message: .*ServiceUnavailable/) })]);
    expect(t.inFlight).toEqual([1, -1]);
  });

  it("a cause ending in a full stop is not followed by a second one", async () => {
    const t = setup({ deadLetter: { send: () => Promise.reject(new Error("queue busy. try later.")) } });
    await t.run();
    expect(poisonLine(t).msg).toContain(`${DLQ.arn}: queue busy. try later. It is retried`);
  });
});
