/**
 * The server side of lumberjack v2 frames, for tests: encoding an ACK and a single JSON frame, and
 * decoding what a client sent (s3beat itself only ever encodes client frames and reads ACKs).
 */
import { inflateSync } from "node:zlib";
import { CODE_ACK, CODE_COMPRESSED, CODE_JSON, CODE_WINDOW, JSON_HEADER_BYTES, ProtocolError, VERSION } from "../../src/outputs/lumberjack/frames.ts";

/** `'2' 'A' seq`: what a server sends. */
export function encodeAckFrame(seq: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = VERSION;
  b[1] = CODE_ACK;
  b.writeUInt32BE(seq, 2);
  return b;
}

/** `'2' 'J' seq length payload` for one JSON document. */
export function encodeJsonFrame(seq: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(JSON_HEADER_BYTES);
  head[0] = VERSION;
  head[1] = CODE_JSON;
  head.writeUInt32BE(seq, 2);
  head.writeUInt32BE(payload.length, 6);
  return Buffer.concat([head, payload]);
}

/** A client frame decoded by `decodeClientFrames` (the server side; for tests and test servers). */
export type ClientFrame = { type: "window"; count: number } | { type: "json"; seq: number; payload: Buffer } | { type: "compressed"; frames: ClientFrame[] };

/**
 * Decodes the complete client frames at the start of `data`; returns them and how many bytes they
 * used (the rest is an incomplete frame). Throws ProtocolError on an unknown version or type.
 */
export function decodeClientFrames(data: Buffer): { frames: ClientFrame[]; used: number } {
  const frames: ClientFrame[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    if (data[at] !== VERSION) throw new ProtocolError(`unsupported protocol version byte 0x${data.subarray(at, at + 1).toString("hex")}`);
    const code = data[at + 1];
    if (code === CODE_WINDOW) {
      if (at + 6 > data.length) break;
      frames.push({ type: "window", count: data.readUInt32BE(at + 2) });
      at += 6;
    } else if (code === CODE_JSON) {
      if (at + JSON_HEADER_BYTES > data.length) break;
      const length = data.readUInt32BE(at + 6);
      if (at + JSON_HEADER_BYTES + length > data.length) break;
      frames.push({ type: "json", seq: data.readUInt32BE(at + 2), payload: data.subarray(at + JSON_HEADER_BYTES, at + JSON_HEADER_BYTES + length) });
      at += JSON_HEADER_BYTES + length;
    } else if (code === CODE_COMPRESSED) {
      if (at + 6 > data.length) break;
      const length = data.readUInt32BE(at + 2);
      if (at + 6 + length > data.length) break;
      const inflated = inflateSync(data.subarray(at + 6, at + 6 + length));
      const inner = decodeClientFrames(inflated);
      if (inner.used !== inflated.length) throw new ProtocolError("a compressed frame ends inside a frame");
      frames.push({ type: "compressed", frames: inner.frames });
      at += 6 + length;
    } else {
      throw new ProtocolError(`unknown frame type byte 0x${data.subarray(at + 1, at + 2).toString("hex")}`);
    }
  }
  return { frames, used: at };
}
