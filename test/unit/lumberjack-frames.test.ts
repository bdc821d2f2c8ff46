import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { AckParser, ProtocolError, compressedFrameHeader, encodeJsonFrames, encodeWindow, encodeWindowFrame } from "../../src/outputs/lumberjack/frames.ts";
import { decodeClientFrames, encodeAckFrame, encodeJsonFrame } from "../support/lumberjackFrames.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ascii = (s: string) => Buffer.from(s, "latin1").toString("hex");

describe("encoders", () => {
  it.each([
    { name: "window 1", frame: () => encodeWindowFrame(1), want: ascii("2W") + "00000001" },
    { name: "window 2048", frame: () => encodeWindowFrame(2048), want: ascii("2W") + "00000800" },
    { name: "window uint32 max", frame: () => encodeWindowFrame(0xffffffff), want: ascii("2W") + "ffffffff" },
    { name: "ack 0", frame: () => encodeAckFrame(0), want: ascii("2A") + "00000000" },
    { name: "ack 258", frame: () => encodeAckFrame(258), want: ascii("2A") + "00000102" },
    { name: "json seq 1", frame: () => encodeJsonFrame(1, Buffer.from('{"a":1}')), want: ascii("2J") + "00000001" + "00000007" + ascii('{"a":1}') },
    { name: "json seq 70000, empty", frame: () => encodeJsonFrame(70000, Buffer.alloc(0)), want: ascii("2J") + "00011170" + "00000000" },
  ])("$name", ({ frame, want }) => {
    expect(hex(frame())).toBe(want);
  });

  it.each([
    ["negative", () => encodeWindowFrame(-1)],
    ["fraction", () => compressedFrameHeader(1.5)],
    ["too large", () => encodeWindowFrame(2 ** 32)],
  ])("refuses a %s uint32", (_name, make) => {
    expect(make).toThrow(RangeError);
  });

  it("numbers JSON frames from 1 and measures UTF-8 bytes, not characters", () => {
    const frames = Buffer.concat(encodeJsonFrames([{ m: "é" }, { m: "x" }]));
    const first = '{"m":"é"}';
    expect(hex(frames)).toBe(
      ascii("2J") + "00000001" + "0000000a" + Buffer.from(first).toString("hex") + ascii("2J") + "00000002" + "00000009" + ascii('{"m":"x"}'),
    );
  });

  it("gathers many small frames into a few pieces, keeping every byte in order", () => {
    const events = Array.from({ length: 3000 }, (_, i) => ({ message: `line ${i}`.padEnd(100, ".") }));
    const pieces = encodeJsonFrames(events);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.length).toBeLessThan(10);
    const { frames, used } = decodeClientFrames(Buffer.concat(pieces));
    expect(used).toBe(Buffer.concat(pieces).length);
    expect(frames.map((f) => (f.type === "json" ? f.seq : -1))).toEqual(events.map((_, i) => i + 1));
    expect(frames.map((f) => (f.type === "json" ? JSON.parse(f.payload.toString()) : null))).toEqual(events);
  });
});

describe("encodeWindow", () => {
  const events = [{ message: "a" }, { message: "b", n: 2 }, { message: "c".repeat(1000) }];

  it("level 0: the window frame, then plain JSON frames", async () => {
    const { frames, used } = decodeClientFrames(Buffer.concat(await encodeWindow(events, 0)));
    expect(used).toBeGreaterThan(0);
    expect(frames[0]).toEqual({ type: "window", count: 3 });
    expect(frames.slice(1).map((f) => f.type === "json" && [f.seq, JSON.parse(f.payload.toString())])).toEqual(events.map((e, i) => [i + 1, e]));
  });

  it.each([1, 3, 9])("level %i: the window frame, then one zlib frame holding the JSON frames", async (level) => {
    const bytes = Buffer.concat(await encodeWindow(events, level));
    expect(hex(bytes.subarray(0, 8))).toBe(ascii("2W") + "00000003" + ascii("2C"));
    const length = bytes.readUInt32BE(8);
    expect(bytes.length).toBe(12 + length); // nothing after the compressed frame
    expect(inflateSync(bytes.subarray(12))).toEqual(Buffer.concat(encodeJsonFrames(events)));
    const { frames } = decodeClientFrames(bytes);
    expect(frames).toHaveLength(2);
    expect(frames[1]!.type === "compressed" && frames[1]!.frames.map((f) => f.type === "json" && f.seq)).toEqual([1, 2, 3]);
  });

  it("a window of more than 4 MiB (compressed in zlib's thread pool) holds the same frames", async () => {
    const big = Array.from({ length: 5 }, (_, i) => ({ message: `${i}`.repeat(1024 * 1024) }));
    const bytes = Buffer.concat(await encodeWindow(big, 3));
    expect(bytes.readUInt32BE(8)).toBe(bytes.length - 12);
    expect(inflateSync(bytes.subarray(12))).toEqual(Buffer.concat(encodeJsonFrames(big)));
  });

  it("compression makes a repetitive window smaller", async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ message: `GET /index.html 200 ${i}` }));
    const plain = Buffer.concat(await encodeWindow(many, 0)).length;
    const packed = Buffer.concat(await encodeWindow(many, 3)).length;
    expect(packed).toBeLessThan(plain / 4);
  });
});

describe("AckParser", () => {
  const acks = (...seqs: number[]) => Buffer.concat(seqs.map(encodeAckFrame));

  it.each([
    { name: "one whole ACK", chunks: [acks(5)], want: [[5]] },
    { name: "two ACKs in one chunk", chunks: [acks(1, 2)], want: [[1, 2]] },
    { name: "an ACK split after the version byte", chunks: [acks(7).subarray(0, 1), acks(7).subarray(1)], want: [[], [7]] },
    { name: "an ACK split inside the sequence", chunks: [acks(0x01020304).subarray(0, 4), acks(0x01020304).subarray(4)], want: [[], [0x01020304]] },
    { name: "byte by byte", chunks: [...acks(9)].map((b) => Buffer.from([b])), want: [[], [], [], [], [], [9]] },
    {
      name: "an ACK and a half, then the rest and another",
      chunks: [Buffer.concat([acks(1), acks(2).subarray(0, 3)]), Buffer.concat([acks(2).subarray(3), acks(3)])],
      want: [[1], [2, 3]],
    },
    { name: "keep-alives (ACK 0, repeated ACKs) are passed on as they are", chunks: [acks(0, 0, 4, 4)], want: [[0, 0, 4, 4]] },
  ])("$name", ({ chunks, want }) => {
    const parser = new AckParser();
    expect(chunks.map((c) => parser.push(c))).toEqual(want);
    expect(parser.buffered).toBe(0);
  });

  it.each([
    { name: "a window frame", bytes: encodeWindowFrame(1) },
    { name: "a lumberjack v1 ACK", bytes: Buffer.from("1A\0\0\0\x01", "latin1") },
    { name: "text (e.g. an HTTP server)", bytes: Buffer.from("HTTP/1.1 400 Bad Request\r\n") },
    { name: "a lone wrong byte", bytes: Buffer.from("x") },
  ])("refuses $name", ({ bytes }) => {
    expect(() => new AckParser().push(bytes)).toThrow(ProtocolError);
  });

  it("keeps the incomplete tail as a copy, not a view of the caller's chunk", () => {
    const parser = new AckParser();
    const chunk = Buffer.concat([acks(1), acks(2).subarray(0, 4)]);
    parser.push(chunk);
    chunk.fill(0);
    expect(parser.push(acks(2).subarray(4))).toEqual([2]);
  });
});

describe("decodeClientFrames", () => {
  it("stops before an incomplete frame and says how far it got", () => {
    const whole = Buffer.concat([encodeWindowFrame(2), encodeJsonFrame(1, Buffer.from("{}"))]);
    const partial = Buffer.concat([whole, encodeJsonFrame(2, Buffer.from("{}")).subarray(0, 7)]);
    expect(decodeClientFrames(partial).used).toBe(whole.length);
  });

  it("refuses an unknown frame type", () => {
    expect(() => decodeClientFrames(Buffer.from("2X\0\0\0\0", "latin1"))).toThrow(ProtocolError);
  });
});
