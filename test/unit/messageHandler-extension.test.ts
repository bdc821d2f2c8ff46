/**
 * The message handler with fakes and fake timers: visibility extensions while an object is read,
 * and none after SQS said the receipt handle is gone.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { handleMessage, type MessageHandlerDeps, type QueueContext } from "../../src/pipeline/messageHandler.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

function setup(changeVisibility: (handle: string, seconds: number) => Promise<void>) {
  let finishBody: (() => void) | undefined;
  const body = (async function* () {
    await new Promise<void>((r) => (finishBody = r)); // the object takes as long as the test says
    yield Buffer.from("one line\n");
  })();
  const calls: number[] = [];
  const queue: QueueContext = {
    name: "q",
    region: "us-east-1",
    settler: {
      changeVisibility: (h, s) => {
        calls.push(s);
        return changeVisibility(h, s);
      },
      delete: async () => undefined,
    },
    objects: { getObject: async () => body },
    metrics: new Metrics({ version: "test", defaultMetrics: false }).forQueue("q"),
  };
  const deps: MessageHandlerDeps = {
    decoderFor: () => linesDecoder({ maxEventBytes: 1 << 20 }),
    output: { name: "fake", publish: async () => undefined, close: async () => undefined },
    log: silentLogger(),
    version: "test",
    visibilityTimeoutSeconds: 300,
    receiveVisibilitySeconds: 30,
    backoff: { initSeconds: 30, maxSeconds: 900 },
  };
  const msg = { messageId: "m1", receiptHandle: "rh", body: s3Notification([{ bucket: "b", key: "k.log", size: 9 }]), receiveCount: 1 };
  return { queue, deps, msg, calls, finish: () => finishBody?.() };
}

describe("handleMessage: visibility extensions (fakes, fake timers)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("extends at half the receive's visibility, then every half timeout, each to the full timeout", async () => {
    const t = setup(async () => undefined);
    const done = handleMessage(t.msg, t.queue, t.deps, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(15_000); // half of the 30 s receive visibility
    expect(t.calls).toEqual([300]);
    await vi.advanceTimersByTimeAsync(150_000); // then every half of 300 s
    expect(t.calls).toEqual([300, 300]);
    t.finish();
    await vi.advanceTimersByTimeAsync(100);
    await done;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.calls).toEqual([300, 300]); // none after settlement
  });

  it("stops extending once SQS says the receipt handle is invalid", async () => {
    const t = setup(async () => {
      throw sdkError("ReceiptHandleIsInvalid", "The input receipt handle is invalid.");
    });
    const done = handleMessage(t.msg, t.queue, t.deps, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(15_000 + 150_000 * 4);
    expect(t.calls).toEqual([300]);
    t.finish();
    await vi.advanceTimersByTimeAsync(100);
    await done;
  });
});
