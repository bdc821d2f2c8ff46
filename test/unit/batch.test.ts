/** BatchBuilder: documents serialized into NDJSON pieces as they are added, large events kept in order between them, counts and bytes per batch. */
import { describe, expect, it } from "vitest";
import type { BeatEvent } from "../../src/events/event.ts";
import { documentsOf, EncodedEvents, type OutputEvent } from "../../src/outputs/output.ts";
import { BatchBuilder } from "../../src/pipeline/batch.ts";

const PIECE_CHARS = 32 * 1024;
const doc = (n: number) => JSON.stringify({ message: `event ${n}` });
const event = (message: string) => ({ message }) as unknown as BeatEvent;
/** What each item of a batch is: a piece of N encoded events, or one event object. */
const shape = (events: OutputEvent[]) => events.map((e) => (e instanceof EncodedEvents ? `encoded ${e.count}` : "event"));

describe("BatchBuilder", () => {
  it("starts empty: nothing to take", () => {
    const b = new BatchBuilder();
    expect([b.count, b.bytes]).toEqual([0, 0]);
    expect(b.take()).toEqual([]);
  });

  it("serializes documents as NDJSON bytes, counting events and the bytes the caller gave", () => {
    const b = new BatchBuilder();
    b.addDocument(doc(1), 100);
    b.addDocument('{"message":"café"}', 20);
    expect([b.count, b.bytes]).toEqual([2, 120]);
    const events = b.take();
    expect(shape(events)).toEqual(["encoded 2"]);
    const piece = events[0] as EncodedEvents;
    expect(piece.bytes.toString("utf8")).toBe(`${doc(1)}\n{"message":"café"}\n`);
    expect(piece.bytes.byteLength).toBe(doc(1).length + 1 + 19 + 1); // é is two bytes of UTF-8
  });

  it("is empty again after a take", () => {
    const b = new BatchBuilder();
    b.addDocument(doc(1), 10);
    b.addEvent(event("big"), 1000);
    b.take();
    expect([b.count, b.bytes]).toEqual([0, 0]);
    expect(b.take()).toEqual([]);
    b.addDocument(doc(2), 5);
    expect(documentsOf(b.take())).toEqual([doc(2)]);
  });

  it("keeps large events in order between the documents", () => {
    const b = new BatchBuilder();
    b.addDocument(doc(1), 1);
    b.addDocument(doc(2), 1);
    b.addEvent(event("large 3"), 50);
    b.addEvent(event("large 4"), 50);
    b.addDocument(doc(5), 1);
    expect([b.count, b.bytes]).toEqual([5, 103]);
    const events = b.take();
    expect(shape(events)).toEqual(["encoded 2", "event", "event", "encoded 1"]);
    expect(documentsOf(events)).toEqual([doc(1), doc(2), JSON.stringify(event("large 3")), JSON.stringify(event("large 4")), doc(5)]);
  });

  it.each([
    ["a piece one character short of PIECE_CHARS goes on", PIECE_CHARS - 1, ["encoded 2"]],
    ["a piece of PIECE_CHARS characters is cut", PIECE_CHARS, ["encoded 1", "encoded 1"]],
  ])("%s", (_name, chars, want) => {
    const b = new BatchBuilder();
    const first = JSON.stringify({ message: "x".repeat(chars - 1 - 14) }); // 14: {"message":""} ; 1: the newline
    expect(first.length + 1).toBe(chars);
    b.addDocument(first, 1);
    b.addDocument(doc(2), 1);
    const events = b.take();
    expect(shape(events)).toEqual(want);
    expect(documentsOf(events)).toEqual([first, doc(2)]);
  });

  it("cuts pieces of about PIECE_CHARS as documents keep coming", () => {
    const b = new BatchBuilder();
    const d = JSON.stringify({ message: "y".repeat(1000) });
    for (let i = 0; i < 100; i++) b.addDocument(d, d.length);
    const events = b.take();
    const perPiece = Math.ceil(PIECE_CHARS / (d.length + 1));
    expect(shape(events)).toEqual([...Array.from({ length: Math.floor(100 / perPiece) }, () => `encoded ${perPiece}`), `encoded ${100 % perPiece}`]);
    expect(documentsOf(events)).toHaveLength(100);
  });
});
