import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/util/backoff.ts";
import { DynamicWindow, INITIAL_WINDOW } from "../../src/outputs/lumberjack/window.ts";

/** Applies steps ("ok" = a full window acknowledged, "ok:N" = a window of N events, "fail") and returns the sizes after each. */
function run(window: DynamicWindow, steps: string[]): number[] {
  return steps.map((step) => {
    if (step === "fail") window.failed();
    else window.succeeded(step === "ok" ? window.size : Number(step.slice(3)));
    return window.size;
  });
}

describe("DynamicWindow", () => {
  it.each([
    { name: "starts at 10", max: 2048, start: undefined, steps: [], want: [], first: INITIAL_WINDOW },
    { name: "a small bulk_max_size caps the start", max: 4, start: undefined, steps: [], want: [], first: 4 },
    {
      name: "grows by half after each full window, up to the max",
      max: 60,
      start: undefined,
      steps: ["ok", "ok", "ok", "ok", "ok", "ok"],
      want: [15, 23, 35, 53, 60, 60],
      first: 10,
    },
    { name: "does not grow after a window that was not full", max: 2048, start: undefined, steps: ["ok:3", "ok:9", "ok:10"], want: [10, 10, 15], first: 10 },
    { name: "halves after a failure", max: 2048, start: 100, steps: ["fail", "fail"], want: [50, 25], first: 100 },
    { name: "never below 1", max: 2048, start: 3, steps: ["fail", "fail", "fail"], want: [1, 1, 1], first: 3 },
    { name: "regrows from 1 (at least by one event)", max: 2048, start: 1, steps: ["ok", "ok", "ok"], want: [2, 3, 5], first: 1 },
    { name: "recovers after a failure", max: 2048, start: 40, steps: ["fail", "ok", "ok"], want: [20, 30, 45], first: 40 },
    { name: "max 1 stays 1", max: 1, start: undefined, steps: ["ok", "ok", "fail"], want: [1, 1, 1], first: 1 },
  ])("$name", ({ max, start, steps, want, first }) => {
    const w = new DynamicWindow(max, start);
    expect(w.size).toBe(first);
    expect(run(w, steps)).toEqual(want);
  });

  it("reaches bulk_max_size 2048 from 10 in 13 full windows (10, 15, 23, … 1368, 2048)", () => {
    const w = new DynamicWindow(2048);
    let n = 0;
    while (w.size < 2048) {
      w.succeeded(w.size);
      n++;
    }
    expect(n).toBe(13);
  });

  it("refuses a maximum below 1", () => {
    expect(() => new DynamicWindow(0)).toThrow(RangeError);
  });
});

describe("Backoff", () => {
  it.each([
    { name: "doubles from init up to max (no jitter at random=1)", init: 1000, max: 8000, random: 1, calls: 6, want: [1000, 2000, 4000, 8000, 8000, 8000] },
    { name: "jitter takes off at most half (random=0)", init: 1000, max: 8000, random: 0, calls: 4, want: [500, 1000, 2000, 4000] },
    { name: "max below init is raised to init", init: 3000, max: 1000, random: 1, calls: 2, want: [3000, 3000] },
  ])("$name", ({ init, max, random, calls, want }) => {
    const b = new Backoff(init, max, () => random);
    expect(Array.from({ length: calls }, () => b.next())).toEqual(want);
  });

  it("reset starts again from init", () => {
    const b = new Backoff(100, 10_000, () => 1);
    b.next();
    b.next();
    expect(b.next()).toBe(400);
    b.reset();
    expect([b.next(), b.next()]).toEqual([100, 200]);
  });

  it("jittered delays stay within [d/2, d]", () => {
    const b = new Backoff(1000, 1000);
    for (let i = 0; i < 200; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });
});
