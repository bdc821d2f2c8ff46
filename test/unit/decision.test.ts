import { describe, expect, it } from "vitest";
import { retryDelaySeconds, settle, type MessageOutcome } from "../../src/pipeline/decision.ts";

const policy = { initSeconds: 30, maxSeconds: 900 };

describe("settle: delete only when every object is accounted for", () => {
  it.each<{ outcome: MessageOutcome; receiveCount: number; want: ReturnType<typeof settle> }>([
    { outcome: { kind: "objects", objects: ["delivered"] }, receiveCount: 1, want: { action: "delete" } },
    { outcome: { kind: "objects", objects: ["delivered", "filtered", "not-found"] }, receiveCount: 1, want: { action: "delete" } },
    { outcome: { kind: "objects", objects: [] }, receiveCount: 1, want: { action: "delete" } },
    { outcome: { kind: "objects", objects: ["delivered", "failed"] }, receiveCount: 1, want: { action: "retry", visibilitySeconds: 30 } },
    { outcome: { kind: "objects", objects: ["failed"] }, receiveCount: 3, want: { action: "retry", visibilitySeconds: 120 } },
    { outcome: { kind: "objects", objects: ["failed"] }, receiveCount: 50, want: { action: "retry", visibilitySeconds: 900 } },
    { outcome: { kind: "malformed" }, receiveCount: 1, want: { action: "delete" } },
    { outcome: { kind: "test-event" }, receiveCount: 1, want: { action: "delete" } },
    { outcome: { kind: "interrupted" }, receiveCount: 1, want: { action: "release" } },
  ])("$outcome.kind $outcome.objects (receive $receiveCount)", ({ outcome, receiveCount, want }) => {
    expect(settle(outcome, receiveCount, policy)).toEqual(want);
  });
});

describe("retryDelaySeconds", () => {
  it.each([
    [1, 30],
    [2, 60],
    [5, 480],
    [6, 900],
    [0, 30],
  ])("receive %i -> %is", (n, s) => expect(retryDelaySeconds(n, policy)).toBe(s));

  it("never exceeds SQS's 12 h visibility ceiling", () => {
    expect(retryDelaySeconds(40, { initSeconds: 3600, maxSeconds: 100_000 })).toBe(43_200);
  });
});
