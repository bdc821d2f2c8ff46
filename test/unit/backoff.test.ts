import { describe, expect, it } from "vitest";
import { Backoff, backoffDelay } from "../../src/util/backoff.ts";

describe("backoffDelay: init × 2^(failures − 1), capped", () => {
  it.each([
    [1, 1, 60, 1],
    [2, 1, 60, 2],
    [6, 1, 60, 32],
    [7, 1, 60, 60],
    [0, 5, 60, 5], // no failure yet counts as the first
    [1000, 1, 43_200, 43_200], // the exponent is bounded: no Infinity
    [3, 0.5, 10, 2],
  ])("failure %i, init %s, max %s → %s", (failures, init, max, want) => {
    expect(backoffDelay(failures, init, max)).toBe(want);
  });
});

describe("Backoff", () => {
  it("doubles per failure up to max, jittered down to half, and starts over after reset", () => {
    const top = new Backoff(100, 1000, () => 0.999_999);
    expect([1, 2, 3, 4, 5].map(() => top.next())).toEqual([100, 200, 400, 800, 1000]);
    top.reset();
    expect(top.next()).toBe(100);
    const bottom = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3].map(() => bottom.next())).toEqual([50, 100, 200]);
  });
});
