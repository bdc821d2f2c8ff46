/**
 * Lumberjack v2 (the Beats protocol) frames, as pure encoders and decoders. Every frame starts with
 * the version byte `'2'` and a type byte; integers are unsigned 32-bit big-endian.
 *
 * - window `'2' 'W' count`: the number of data frames that follow (sequence numbers 1..count);
 * - JSON data `'2' 'J' seq length payload`: one event as a JSON document;
 * - compressed `'2' 'C' length zlib(frames)`: other frames, zlib-compressed;
 * - ACK `'2' 'A' seq` (server → client): every data frame up to `seq` of the current window is
 *   acknowledged. Servers repeat their last ACK (or send `ACK 0`) as a keep-alive while busy.
 */
import type { EncodedEvents } from "../output.ts";
import { promisify } from "node:util";
import { deflate, deflateSync } from "node:zlib";

export const VERSION = 0x32; // '2'
export const CODE_WINDOW = 0x57; // 'W'
export const CODE_JSON = 0x4a; // 'J'
export const CODE_COMPRESSED = 0x43; // 'C'
export const CODE_ACK = 0x41; // 'A'

/** Bytes of an ACK frame and of a window frame. */
export const ACK_FRAME_BYTES = 6;
export const JSON_HEADER_BYTES = 10;
const MAX_UINT32 = 0xffff_ffff;

// Small frames are gathered into pieces of about this size, so that a window of thousands of
// events is a few socket writes, not thousands; larger payloads are passed through as they are.
const PIECE_BYTES = 64 * 1024;

const deflateAsync = promisify(deflate);
/** Windows up to this size are compressed on the event loop (see encodeWindow). */
const SYNC_DEFLATE_MAX_BYTES = 4 * 1024 * 1024;

function checkUint32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) throw new RangeError(`${what} must be a uint32, got ${value}`);
}

/** The W, C-header and A frames share one shape: version, type, one uint32. */
function uint32Frame(code: number, value: number, what: string): Buffer {
  checkUint32(value, what);
  const b = Buffer.allocUnsafe(ACK_FRAME_BYTES);
  b[0] = VERSION;
  b[1] = code;
  b.writeUInt32BE(value, 2);
  return b;
}

/** `'2' 'W' count`: announces how many data frames the window holds. */
export function encodeWindowFrame(count: number): Buffer {
  return uint32Frame(CODE_WINDOW, count, "window size");
}

function writeJsonFrameHeader(b: Buffer, at: number, seq: number, length: number): void {
  checkUint32(seq, "sequence number");
  checkUint32(length, "payload length");
  b[at] = VERSION;
  b[at + 1] = CODE_JSON;
  b.writeUInt32BE(seq, at + 2);
  b.writeUInt32BE(length, at + 6);
}

/** An event's JSON document, already serialized: `bytes[start, end)`. */
export class JsonDocument {
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;

  constructor(bytes: Buffer, start: number, end: number) {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
  }

  /** The documents of events already serialized, without copying them. */
  static of(events: EncodedEvents): JsonDocument[] {
    const out: JsonDocument[] = [];
    events.eachDocument((start, end) => out.push(new JsonDocument(events.bytes, start, end)));
    return out;
  }
}

/**
 * The JSON data frames of a window, events numbered from 1, as a few buffers (write them in order).
 * An event is a value to serialize, or a JsonDocument (its JSON text already serialized).
 * Frames are written straight into buffers of about PIECE_BYTES (a larger document gets a buffer
 * of its own): no buffer per event, and no string holding more than one event (large strings live
 * in V8's large-object space until a full GC).
 */
export function encodeJsonFrames(events: readonly unknown[], pieceBytes = PIECE_BYTES): Buffer[] {
  const pieces: Buffer[] = [];
  const docs: Array<string | JsonDocument> = [];
  const lengths: number[] = [];
  let bytes = 0;
  let first = 1;
  const cut = () => {
    if (docs.length === 0) return;
    const piece = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (let i = 0; i < docs.length; i++) {
      const length = lengths[i]!;
      writeJsonFrameHeader(piece, at, first + i, length);
      const doc = docs[i]!;
      if (typeof doc === "string") piece.write(doc, at + JSON_HEADER_BYTES, length, "utf8");
      else doc.bytes.copy(piece, at + JSON_HEADER_BYTES, doc.start, doc.end);
      at += JSON_HEADER_BYTES + length;
    }
    pieces.push(piece);
    first += docs.length;
    docs.length = 0;
    lengths.length = 0;
    bytes = 0;
  };
  for (const event of events) {
    const doc = event instanceof JsonDocument ? event : JSON.stringify(event);
    const length = typeof doc === "string" ? Buffer.byteLength(doc, "utf8") : doc.end - doc.start;
    if (docs.length > 0 && bytes + JSON_HEADER_BYTES + length > pieceBytes) cut();
    docs.push(doc);
    lengths.push(length);
    bytes += JSON_HEADER_BYTES + length;
  }
  cut();
  return pieces;
}

/** `'2' 'C' length data` around already-compressed bytes. */
export function compressedFrameHeader(compressedLength: number): Buffer {
  return uint32Frame(CODE_COMPRESSED, compressedLength, "compressed length");
}

/**
 * Everything a client sends for one window: the window frame, then the events' JSON frames, inside
 * one compressed frame when `compressionLevel` is 1–9.
 */
export async function encodeWindow(events: readonly unknown[], compressionLevel: number): Promise<Buffer[]> {
  const head = encodeWindowFrame(events.length);
  if (compressionLevel <= 0) return [head, ...encodeJsonFrames(events)];
  // Compressed, the frames are one buffer (zlib's input), written as such rather than concatenated.
  const frames = encodeJsonFrames(events, Number.POSITIVE_INFINITY);
  const input = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
  // A window of a few MiB compresses in a few ms (~350 MB/s at level 3): on the event loop that
  // costs less than the thread pool's round trips, and bench D ran faster with ~40 MB less peak
  // RSS. Larger windows (large events) go to the pool, so the loop never stalls for long.
  const options = { level: compressionLevel, chunkSize: 256 * 1024 };
  const compressed = input.length <= SYNC_DEFLATE_MAX_BYTES ? deflateSync(input, options) : await deflateAsync(input, options);
  return [head, compressedFrameHeader(compressed.length), compressed];
}

/** The server sent something that is not a lumberjack v2 ACK: the connection cannot be trusted. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/**
 * Parses the server's byte stream into ACK sequence numbers. TCP delivers arbitrary chunks, so a
 * frame may arrive split over several `push` calls; the incomplete tail is kept for the next one.
 */
export class AckParser {
  #tail: Buffer = Buffer.alloc(0);

  /** Sequence numbers of the ACK frames completed by `chunk`, in order. Throws ProtocolError on anything else. */
  push(chunk: Uint8Array): number[] {
    const data = this.#tail.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.#tail, chunk]);
    const seqs: number[] = [];
    let at = 0;
    for (; at + 2 <= data.length; at += ACK_FRAME_BYTES) {
      if (data[at] !== VERSION || data[at + 1] !== CODE_ACK) {
        throw new ProtocolError(`expected an ACK frame ('2' 'A'), got bytes 0x${data.subarray(at, at + 2).toString("hex")}`);
      }
      if (at + ACK_FRAME_BYTES > data.length) break;
      seqs.push(data.readUInt32BE(at + 2));
    }
    // Check a lone trailing version byte too, so garbage is reported as soon as it arrives.
    if (at < data.length && data[at] !== VERSION) {
      throw new ProtocolError(`expected an ACK frame ('2' 'A'), got byte 0x${data.subarray(at, at + 1).toString("hex")}`);
    }
    this.#tail = Buffer.from(data.subarray(at)); // a copy: do not pin the socket's chunk
    return seqs;
  }

  /** Bytes of an incomplete frame waiting for the rest. */
  get buffered(): number {
    return this.#tail.length;
  }
}
