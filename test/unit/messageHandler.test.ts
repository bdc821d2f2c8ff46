/**
 * handleMessage from receipt to settlement, with a fake settler, object getter and output, and
 * fake timers: which settlement each outcome gets, and that the visibility extension is stopped
 * (and its call in flight awaited) before the message is settled, so none lands after it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import type { OutputEvent } from "../../src/outputs/output.ts";
import { handleMessage, type MessageHandlerDeps, type QueueContext } from "../../src/pipeline/messageHandler.ts";
import type { MessageSettler } from "../../src/sqs/settler.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

const TIMEOUT = 300; // visibilityTimeoutSeconds: what every extension asks for
const RECEIVE = 30; // the receive's visibility: the first extension comes at half of it

const sdkError = (name: string, status = 400) => Object.assign(new Error(`${name} from AWS`), { name, $metadata: { httpStatusCode: status } });

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

interface Options {
  /** The notification's body (default: one object, k.log). */
  body?: string;
  /** What getObject does (default: a body of one line that ends when the test calls finish()). */
  getObject?: () => Promise<AsyncIterable<Uint8Array>>;
  /** What publish does (default: acknowledges at once). */
  publish?: (events: readonly OutputEvent[]) => Promise<void>;
  /** Answers extensions (changeVisibility to TIMEOUT); default: at once. */
  extend?: () => Promise<void>;
  receiveCount?: number;
}

/** Every SQS call in order: `extend`/`extended` around an extension, then the settlement. */
function setup(o: Options = {}) {
  const timeline: string[] = [];
  const gate = deferred();
  const settler: MessageSettler = {
    delete: async () => void timeline.push("delete"),
    changeVisibility: async (_handle, seconds) => {
      if (seconds !== TIMEOUT) return void timeline.push(`visibility ${seconds}`);
      timeline.push("extend");
      try {
        await (o.extend?.() ?? Promise.resolve());
        timeline.push("extended");
      } catch (err) {
        timeline.push("extend failed");
        throw err;
      }
    },
  };
  const metrics = new Metrics({ version: "test", defaultMetrics: false });
  const published: OutputEvent[] = [];
  const queue: QueueContext = {
    name: "q",
    region: "us-east-1",
    settler,
    objects: {
      getObject:
        o.getObject ??
        (async () =>
          (async function* () {
            await gate.promise;
            yield Buffer.from("one line\n");
          })()),
    },
    metrics: metrics.forQueue("q"),
  };
  const deps: MessageHandlerDeps = {
    decoderFor: () => linesDecoder({ maxEventBytes: 1 << 20 }),
    output: { name: "fake", publish: o.publish ?? (async (events) => void published.push(...events)), close: async () => undefined },
    log: silentLogger(),
    version: "test",
    visibilityTimeoutSeconds: TIMEOUT,
    receiveVisibilitySeconds: RECEIVE,
    backoff: { initSeconds: 30, maxSeconds: 900 },
  };
  const msg = {
    messageId: "m1",
    receiptHandle: "rh",
    body: o.body ?? s3Notification([{ bucket: "b", key: "k.log", size: 9 }]),
    receiveCount: o.receiveCount ?? 1,
  };
  const ac = new AbortController();
  return {
    timeline,
    published,
    stats: () => metrics.stats,
    finish: () => gate.resolve(),
    abort: () => ac.abort(new Error("shutdown")),
    run: () => handleMessage(msg, queue, deps, ac.signal),
  };
}

/** The settlement calls of a timeline (extensions left out). */
const settlements = (timeline: string[]) => timeline.filter((t) => !t.startsWith("extend"));

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("handleMessage: how each outcome is settled", () => {
  it.each<[string, Options, (t: ReturnType<typeof setup>) => void, string[], Record<string, number>]>([
    ["every object delivered: deleted", {}, (t) => t.finish(), ["delete"], { messagesDeleted: 1, objectsRead: 1, eventsAcked: 1 }],
    [
      "NoSuchKey: the object is not-found and the message deleted",
      { getObject: () => Promise.reject(sdkError("NoSuchKey", 404)) },
      () => undefined,
      ["delete"],
      { messagesDeleted: 1, objectsNotFound: 1, objectsFailed: 0 },
    ],
    [
      "S3 refuses the read: kept for retry after the backoff of its 3rd receive (30 s × 2²)",
      { getObject: () => Promise.reject(sdkError("AccessDenied", 403)), receiveCount: 3 },
      () => undefined,
      ["visibility 120"],
      { messagesRetried: 1, objectsFailed: 1, messagesDeleted: 0 },
    ],
    [
      "the output fails: kept for retry, never deleted",
      { publish: () => Promise.reject(new Error("collector down")) },
      (t) => t.finish(),
      ["visibility 30"],
      { messagesRetried: 1, objectsFailed: 1, messagesDeleted: 0 },
    ],
    ["shutdown while reading: released (visibility 0), never deleted", {}, (t) => t.abort(), ["visibility 0"], { messagesReleased: 1, messagesDeleted: 0 }],
    ["a malformed notification: deleted", { body: "not json" }, () => undefined, ["delete"], { messagesMalformed: 1, messagesDeleted: 1 }],
  ])("%s", async (_name, options, act, want, stats) => {
    const t = setup(options);
    const done = t.run();
    await vi.advanceTimersByTimeAsync(1);
    act(t);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(settlements(t.timeline)).toEqual(want);
    expect(t.stats()).toMatchObject(stats);
  });
});

describe("handleMessage: the visibility extension ends before the settlement", () => {
  /** How the work ends, and the settlement it gets. */
  const endings: [string, Options, (t: ReturnType<typeof setup>) => void, string][] = [
    ["delete", {}, (t) => t.finish(), "delete"],
    ["retry", { publish: () => Promise.reject(new Error("collector down")) }, (t) => t.finish(), "visibility 30"],
    ["release", {}, (t) => t.abort(), "visibility 0"],
  ];

  it.each(endings)("%s: an extension in flight is awaited before the message is settled", async (_name, options, end, settlement) => {
    const answer = deferred();
    const t = setup({ ...options, extend: () => answer.promise });
    const done = t.run();
    await vi.advanceTimersByTimeAsync((RECEIVE / 2) * 1000); // the first extension starts, unanswered
    expect(t.timeline).toEqual(["extend"]);
    end(t);
    await vi.advanceTimersByTimeAsync(1000);
    // Settling now could be undone by the extension landing after it.
    expect(t.timeline).toEqual(["extend"]);
    answer.resolve();
    await done;
    expect(t.timeline).toEqual(["extend", "extended", settlement]);
  });

  it.each(endings)("%s: no extension is sent after the settlement", async (_name, options, end, settlement) => {
    const t = setup(options);
    const done = t.run();
    await vi.advanceTimersByTimeAsync((RECEIVE / 2) * 1000 + (TIMEOUT / 2) * 1000); // two extensions
    end(t);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    await vi.advanceTimersByTimeAsync(3600_000);
    expect(t.timeline).toEqual(["extend", "extended", "extend", "extended", settlement]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ["ReceiptHandleIsInvalid", sdkError("ReceiptHandleIsInvalid"), 1],
    ["MessageNotInflight", sdkError("AWS.SimpleQueueService.MessageNotInflight"), 1],
    ["a throttled extension (tried again next time)", sdkError("ThrottlingException"), 4],
  ])("an extension answered %s: %s extension(s) in 10 minutes", async (_name, error, extensions) => {
    const t = setup({ extend: () => Promise.reject(error) });
    const done = t.run();
    await vi.advanceTimersByTimeAsync(600_000); // at 15 s, then every 150 s: 4 while the handle is good
    expect(t.timeline.filter((x) => x === "extend")).toHaveLength(extensions);
    t.finish();
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(settlements(t.timeline)).toEqual(["delete"]);
  });
});
