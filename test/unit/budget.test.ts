import { describe, expect, it } from "vitest";
import { ByteBudget } from "../../src/pipeline/budget.ts";

const never = new AbortController().signal;
const settled = async (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise((r) => setImmediate(() => r(false)))]);

describe("ByteBudget: bytes in flight for the whole process", () => {
  it("grants what fits at once and holds the rest until released", async () => {
    const b = new ByteBudget(100);
    await b.acquire(60, never);
    const second = b.acquire(50, never);
    expect(await settled(second)).toBe(false);
    b.release(60);
    expect(await settled(second)).toBe(true);
    expect(b.used).toBe(50);
  });

  it("grants a request larger than the whole budget when nothing else is held (one large event)", async () => {
    const b = new ByteBudget(100);
    expect(await settled(b.acquire(500, never))).toBe(true);
    expect(await settled(b.acquire(1, never))).toBe(false);
  });

  it("stops waiting when the signal aborts (shutdown), without taking the bytes", async () => {
    const b = new ByteBudget(100);
    await b.acquire(100, never);
    const stop = new AbortController();
    const waiting = b.acquire(10, stop.signal);
    stop.abort(new Error("shutdown"));
    await expect(waiting).rejects.toThrow("shutdown");
    expect(b.used).toBe(100);
  });
});
