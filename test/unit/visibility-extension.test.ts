/**
 * extendVisibilityWhileBusy with a fake settler and fake timers: when it extends, to how long, what
 * it counts and logs, when it stops (the stop function, a receipt handle SQS no longer accepts);
 * and receiptHandleGone's table of SQS answers.
 */
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { extendVisibilityWhileBusy, receiptHandleGone } from "../../src/pipeline/visibility.ts";
import { definedOnly } from "../../src/util/optional.ts";

const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

function setup(answer: (call: number) => Promise<void>) {
  const calls: Array<[string, number]> = [];
  const extended: boolean[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const queue = {
    settler: {
      changeVisibility: (handle: string, seconds: number) => {
        calls.push([handle, seconds]);
        return answer(calls.length);
      },
    },
    metrics: { visibilityExtended: (ok: boolean) => void extended.push(ok) },
  };
  const msg = { messageId: "m1", receiptHandle: "rh-1", body: "{}", receiveCount: 1 };
  const stop = extendVisibilityWhileBusy(msg, queue, { visibilityTimeoutSeconds: 300, receiveVisibilitySeconds: 30 }, log);
  const lines = () =>
    logs.map((l) => ({
      level: l.level,
      msg: l.msg,
      ...definedOnly({ timeoutSeconds: l.timeoutSeconds, "error.type": l["error.type"] }),
    }));
  return { calls, extended, lines, stop };
}

describe("extendVisibilityWhileBusy", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("extends the receipt to the full timeout at half the receive's visibility, then every half timeout", async () => {
    const t = setup(async () => undefined);
    await vi.advanceTimersByTimeAsync(14_999);
    expect(t.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.calls).toEqual([["rh-1", 300]]);
    await vi.advanceTimersByTimeAsync(149_999);
    expect(t.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(150_000);
    expect(t.calls).toEqual([
      ["rh-1", 300],
      ["rh-1", 300],
      ["rh-1", 300],
    ]);
    expect(t.extended).toEqual([true, true, true]);
    expect(t.lines()[0]).toEqual({ level: 20, msg: "visibility extended", timeoutSeconds: 300 });
    await t.stop();
  });

  it("stops extending when stopped, and the stop waits for the extension in flight", async () => {
    let finish: (() => void) | undefined;
    const t = setup(() => new Promise<void>((r) => (finish = r)));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(t.calls).toHaveLength(1);
    let stopped = false;
    const stopping = t.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish?.();
    await stopping;
    expect(t.extended).toEqual([true]);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(t.calls).toHaveLength(1);
  });

  it("stopped before the first extension: none at all", async () => {
    const t = setup(async () => undefined);
    await t.stop();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(t.calls).toEqual([]);
  });

  it("a failed extension is counted and warned about, and the next ones still come", async () => {
    const t = setup(async (n) => {
      if (n === 1) throw sdkError("ThrottlingException", "Rate exceeded");
    });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(t.extended).toEqual([false]);
    expect(t.lines()).toEqual([
      { level: 40, msg: "could not extend visibility timeout: ThrottlingException: Rate exceeded", "error.type": "ThrottlingException" },
    ]);
    await vi.advanceTimersByTimeAsync(150_000);
    expect(t.calls).toHaveLength(2);
    expect(t.extended).toEqual([false, true]);
    await t.stop();
  });

  it("stops for good, with one warning, once SQS no longer accepts the receipt handle", async () => {
    const t = setup(async () => {
      throw sdkError("ReceiptHandleIsInvalid", "The receipt handle has expired");
    });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(t.extended).toEqual([false]);
    expect(t.lines()).toEqual([
      {
        level: 40,
        msg: "stopped extending the visibility timeout: the receipt handle is no longer valid (ReceiptHandleIsInvalid: The receipt handle has expired); the message may be handed out again",
        "error.type": "ReceiptHandleIsInvalid",
      },
    ]);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(t.calls).toHaveLength(1);
    expect(t.lines()).toHaveLength(1);
    await t.stop();
  });

  it("does not keep the process alive", async () => {
    const t = setup(async () => undefined);
    // Wrapped by hand, not with vi.spyOn: a spy's restore runs again when the next test file starts
    // in the same worker (isolate: false) and would put back the fake clock's setTimeout for good.
    const fakeSetTimeout = globalThis.setTimeout;
    const made: NodeJS.Timeout[] = [];
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      const timer = fakeSetTimeout(...args);
      made.push(timer);
      return timer;
    }) as typeof setTimeout;
    try {
      await vi.advanceTimersByTimeAsync(15_000);
    } finally {
      globalThis.setTimeout = fakeSetTimeout;
    }
    expect(made.at(-1)?.hasRef()).toBe(false);
    await t.stop();
  });
});

describe("receiptHandleGone", () => {
  it.each<[string, unknown, boolean]>([
    ["ReceiptHandleIsInvalid", sdkError("ReceiptHandleIsInvalid", "x"), true],
    ["its AWS.SimpleQueueService form", sdkError("AWS.SimpleQueueService.ReceiptHandleIsInvalid", "x"), true],
    ["MessageNotInflight", sdkError("MessageNotInflight", "x"), true],
    ["its AWS.SimpleQueueService form", sdkError("AWS.SimpleQueueService.MessageNotInflight", "x"), true],
    ["the code in Code, over name", Object.assign(new Error("x"), { name: "Error", Code: "ReceiptHandleIsInvalid" }), true],
    ["Code wins over a matching name", Object.assign(new Error("x"), { name: "ReceiptHandleIsInvalid", Code: "ThrottlingException" }), false],
    [
      "InvalidParameterValue about the receipt handle",
      sdkError("InvalidParameterValue", "Value rh for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."),
      true,
    ],
    [
      "InvalidParameterValue, not available",
      sdkError("InvalidParameterValue", "Message does not exist or is not available for visibility timeout change."),
      true,
    ],
    ["InvalidParameterValue, does not exist (any case)", sdkError("InvalidParameterValue", "Message DOES NOT EXIST"), true],
    ["InvalidParameterValue about something else", sdkError("InvalidParameterValue", "VisibilityTimeout must be at most 43200"), false],
    ["InvalidParameterValue without a message", { name: "InvalidParameterValue" }, false],
    ["the right words under another code", sdkError("AccessDenied", "the receipt handle does not exist"), false],
    ["a throttling error", sdkError("ThrottlingException", "Rate exceeded"), false],
    ["a plain error", new Error("socket hang up"), false],
    ["undefined", undefined, false],
    ["null", null, false],
  ])("%s → %s", (_name, err, want) => {
    expect(receiptHandleGone(err)).toBe(want);
  });
});
