/** DeleteBatcher with a fake DeleteMessageBatch and fake timers: when a batch goes out, and what each delete learns. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeleteBatcher } from "../../src/sqs/deleteBatcher.ts";

type Entry = { id: string; receiptHandle: string };

function fakeSqs(answer: (entries: Entry[]) => Promise<{ failed: { id: string; message: string }[] }> = async () => ({ failed: [] })) {
  const batches: string[][] = [];
  return {
    batches,
    calls: {
      deleteBatch: (entries: Entry[]) => {
        batches.push(entries.map((e) => e.receiptHandle));
        return answer(entries);
      },
    },
  };
}

const handles = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `rh-${from + i}`);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("DeleteBatcher", () => {
  it("sends at once when 10 are waiting, without waiting for the linger", async () => {
    const sqs = fakeSqs();
    const batcher = new DeleteBatcher(sqs.calls, 20);
    const done = handles(10).map((h) => batcher.delete(h));
    expect(sqs.batches).toEqual([handles(10)]);
    await Promise.all(done);
    expect(vi.getTimerCount()).toBe(0); // the linger timer was cleared
  });

  it.each([1, 9])("sends %s after the linger, not before", async (n) => {
    const sqs = fakeSqs();
    const batcher = new DeleteBatcher(sqs.calls, 20);
    const done = handles(n).map((h) => batcher.delete(h));
    await vi.advanceTimersByTimeAsync(19);
    expect(sqs.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sqs.batches).toEqual([handles(n)]);
    await Promise.all(done);
  });

  it("23 deletes: two full batches at once, the other 3 after the linger", async () => {
    const sqs = fakeSqs();
    const batcher = new DeleteBatcher(sqs.calls, 20);
    const done = handles(23).map((h) => batcher.delete(h));
    expect(sqs.batches).toEqual([handles(10), handles(10, 10)]);
    await vi.advanceTimersByTimeAsync(20);
    expect(sqs.batches).toEqual([handles(10), handles(10, 10), handles(3, 20)]);
    await Promise.all(done);
  });

  it("rejects only the entries SQS says failed, with SQS's reason", async () => {
    const sqs = fakeSqs(async (entries) => ({ failed: [{ id: entries[1]!.id, message: "ReceiptHandleIsInvalid: gone" }] }));
    const batcher = new DeleteBatcher(sqs.calls, 20);
    const results = Promise.allSettled(handles(3).map((h) => batcher.delete(h)));
    await vi.advanceTimersByTimeAsync(20);
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(settled[1]).toMatchObject({ reason: { message: "DeleteMessageBatch entry failed: ReceiptHandleIsInvalid: gone" } });
  });

  it("rejects every entry of a batch whose call failed, and not those of another batch", async () => {
    let call = 0;
    const sqs = fakeSqs(async () => {
      if (++call === 1) throw new Error("ServiceUnavailable");
      return { failed: [] };
    });
    const batcher = new DeleteBatcher(sqs.calls, 20);
    const results = Promise.allSettled(handles(12).map((h) => batcher.delete(h)));
    await vi.advanceTimersByTimeAsync(20);
    const settled = await results;
    expect(settled.slice(0, 10).every((r) => r.status === "rejected" && (r.reason as Error).message === "ServiceUnavailable")).toBe(true);
    expect(settled.slice(10).map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
  });
});

describe("DeleteBatcher: entry ids, the default linger and failures that are not Errors", () => {
  it("gives every entry of a batch its own id (SQS refuses a batch with repeated ids), and new ids to later batches", async () => {
    const sent: Entry[][] = [];
    const batcher = new DeleteBatcher({ deleteBatch: async (entries) => (sent.push(entries), { failed: [] }) }, 20);
    const first = handles(3).map((h) => batcher.delete(h));
    await vi.advanceTimersByTimeAsync(20);
    const second = handles(2, 3).map((h) => batcher.delete(h));
    await vi.advanceTimersByTimeAsync(20);
    await Promise.all([...first, ...second]);
    const ids = sent.flat().map((e) => e.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids.every((id) => id !== "")).toBe(true);
    expect(sent.map((b) => b.map((e) => e.receiptHandle))).toEqual([handles(3), handles(2, 3)]);
  });

  it("lingers 20 ms when not told", async () => {
    const sqs = fakeSqs();
    const batcher = new DeleteBatcher(sqs.calls);
    const done = batcher.delete("rh-0");
    await vi.advanceTimersByTimeAsync(19);
    expect(sqs.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sqs.batches).toEqual([["rh-0"]]);
    await done;
  });

  it("one linger timer for the deletes that wait together", async () => {
    const sqs = fakeSqs();
    const batcher = new DeleteBatcher(sqs.calls, 20);
    const a = batcher.delete("rh-0");
    await vi.advanceTimersByTimeAsync(15);
    const b = batcher.delete("rh-1");
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(5);
    expect(sqs.batches).toEqual([["rh-0", "rh-1"]]);
    await Promise.all([a, b]);
    // The next delete starts a new linger.
    const c = batcher.delete("rh-2");
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(sqs.batches).toEqual([["rh-0", "rh-1"], ["rh-2"]]);
    await c;
  });

  it("rejects with an Error when the call fails with something else", async () => {
    const sqs = fakeSqs(() => Promise.reject("socket hang up"));
    const batcher = new DeleteBatcher(sqs.calls, 20);
    const result = batcher.delete("rh-0");
    const settled = Promise.allSettled([result]);
    await vi.advanceTimersByTimeAsync(20);
    const [r] = await settled;
    expect(r?.status).toBe("rejected");
    expect((r as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect((r as PromiseRejectedResult).reason.message).toBe("socket hang up");
  });

  it("rejects with the very Error the call failed with", async () => {
    const err = new Error("ServiceUnavailable");
    const batcher = new DeleteBatcher(fakeSqs(() => Promise.reject(err)).calls, 20);
    const settled = Promise.allSettled([batcher.delete("rh-0")]);
    await vi.advanceTimersByTimeAsync(20);
    expect(await settled).toEqual([{ status: "rejected", reason: err }]);
    expect(((await settled)[0] as PromiseRejectedResult).reason).toBe(err);
  });
});
