import { describe, expect, it } from "vitest";
import { ByteBudget, DEFAULT_BYTES_IN_FLIGHT } from "../../src/pipeline/budget.ts";

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

describe("ByteBudget: the exact bounds", () => {
  it("grants a request that fills the budget exactly, not one byte more", async () => {
    const b = new ByteBudget(100);
    await b.acquire(40, never);
    expect(await settled(b.acquire(60, never))).toBe(true);
    expect(b.used).toBe(100);
    expect(await settled(b.acquire(1, never))).toBe(false);
  });

  it("starts at 8 MiB by default", async () => {
    const b = new ByteBudget();
    expect(DEFAULT_BYTES_IN_FLIGHT).toBe(8 * 1024 * 1024);
    await b.acquire(DEFAULT_BYTES_IN_FLIGHT - 1, never);
    expect(await settled(b.acquire(1, never))).toBe(true);
    expect(await settled(b.acquire(1, never))).toBe(false);
  });

  it("a waiter whose bytes still do not fit after a release waits on", async () => {
    const b = new ByteBudget(100);
    await b.acquire(50, never);
    await b.acquire(50, never);
    const waiting = b.acquire(80, never);
    b.release(50);
    expect(await settled(waiting)).toBe(false);
    b.release(50);
    expect(await settled(waiting)).toBe(true);
    expect(b.used).toBe(80);
  });

  it("a release wakes every waiter that now fits", async () => {
    const b = new ByteBudget(100);
    await b.acquire(100, never);
    const first = b.acquire(30, never);
    const second = b.acquire(30, never);
    b.release(100);
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(true);
    expect(b.used).toBe(60);
  });

  it("never counts below zero when more is released than held", async () => {
    const b = new ByteBudget(100);
    await b.acquire(10, never);
    b.release(50);
    expect(b.used).toBe(0);
    await b.acquire(100, never);
    expect(b.used).toBe(100);
    expect(await settled(b.acquire(1, never))).toBe(false);
  });
});
