import { describe, expect, it } from "vitest";
import { retryDelaySeconds, settle, type MessageOutcome, type ObjectOutcome } from "../../src/pipeline/decision.ts";

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

describe("settle: poison goes to the dead-letter queue at once when there is one", () => {
  it.each<{ objects: ObjectOutcome[]; receiveCount: number; deadLetterQueue: boolean | undefined; want: ReturnType<typeof settle> }>([
    { objects: ["poison"], receiveCount: 1, deadLetterQueue: true, want: { action: "dead-letter" } },
    { objects: ["delivered", "poison", "filtered"], receiveCount: 1, deadLetterQueue: true, want: { action: "dead-letter" } },
    { objects: ["poison", "not-found"], receiveCount: 4, deadLetterQueue: true, want: { action: "dead-letter" } },
    { objects: ["poison", "poison"], receiveCount: 1, deadLetterQueue: true, want: { action: "dead-letter" } },
    // No dead-letter queue (no RedrivePolicy), or sending there failed: retried with backoff, as today.
    { objects: ["poison"], receiveCount: 1, deadLetterQueue: false, want: { action: "retry", visibilitySeconds: 30 } },
    { objects: ["poison"], receiveCount: 3, deadLetterQueue: undefined, want: { action: "retry", visibilitySeconds: 120 } },
    { objects: ["delivered", "poison"], receiveCount: 2, deadLetterQueue: false, want: { action: "retry", visibilitySeconds: 60 } },
    // A transient failure wins: dead-lettering would leave the failed object unread.
    { objects: ["poison", "failed"], receiveCount: 1, deadLetterQueue: true, want: { action: "retry", visibilitySeconds: 30 } },
    { objects: ["failed", "poison"], receiveCount: 2, deadLetterQueue: true, want: { action: "retry", visibilitySeconds: 60 } },
    // Knowing a dead-letter queue changes nothing without poison.
    { objects: ["delivered"], receiveCount: 1, deadLetterQueue: true, want: { action: "delete" } },
    { objects: ["failed"], receiveCount: 1, deadLetterQueue: true, want: { action: "retry", visibilitySeconds: 30 } },
    { objects: [], receiveCount: 1, deadLetterQueue: true, want: { action: "delete" } },
  ])("$objects, dead-letter queue $deadLetterQueue (receive $receiveCount)", ({ objects, receiveCount, deadLetterQueue, want }) => {
    expect(settle({ kind: "objects", objects }, receiveCount, policy, deadLetterQueue === undefined ? {} : { deadLetterQueue })).toEqual(want);
  });

  it.each<MessageOutcome>([{ kind: "malformed" }, { kind: "test-event" }, { kind: "interrupted" }])(
    "$kind is settled as without a dead-letter queue",
    (outcome) => {
      expect(settle(outcome, 1, policy, { deadLetterQueue: true })).toEqual(settle(outcome, 1, policy));
    },
  );
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
