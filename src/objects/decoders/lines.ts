import type { Decoder } from "./decoder.ts";
import type { DecodedRecord } from "../../events/record.ts";
import { recordOf } from "./shipped.ts";
import { utf8Boundary } from "./utf8.ts";

const LF = 10;
const CR = 13;
/** Carried lines longer than this are assembled in one reused buffer rather than a list of copies. */
const LONG_LINE_BYTES = 1024 * 1024;

/**
 * Splits a byte stream into lines (`\n`, one trailing `\r` stripped) and yields those `accept`
 * returns true for (it may also annotate them, e.g. set `error`): a callback rather than a second
 * generator layer, which would cost a promise round-trip per line. A line longer than `maxEventBytes`
 * keeps its first `maxEventBytes` bytes (cut on a character boundary) and is flagged truncated;
 * the rest of it is counted but never stored, so memory stays at `maxEventBytes` + one chunk. A
 * line whose text would ship (JSON-escaped) past `maxEventBytes` is cut to fit and flagged
 * truncated too, and one whose bytes are not valid UTF-8 is flagged `invalidUtf8`.
 */
export async function* splitLines(
  input: AsyncIterable<Buffer>,
  maxEventBytes: number,
  accept: (line: DecodedRecord) => boolean,
): AsyncGenerator<DecodedRecord> {
  let pos = 0; // stream offset of the current chunk's byte 0
  let lineStart = 0; // stream offset of the current line's first byte
  // Bytes of the current line seen in earlier chunks: copied (the producer may reuse its
  // buffers) as a list and concatenated once at the end, never repeatedly. A line that outgrows
  // LONG_LINE_BYTES moves into `long`, one buffer of maxEventBytes reused for every long line of
  // the input: long lines then leave no garbage behind (only the pages written are resident).
  let parts: Buffer[] = [];
  let long: Buffer | undefined;
  let inLong = false;
  let kept = 0;
  let rawLen = 0;
  let lastByte = -1;

  const carry = (chunk: Buffer, from: number, to: number): void => {
    if (to <= from) return;
    rawLen += to - from;
    lastByte = chunk[to - 1] ?? -1;
    const take = Math.min(to - from, maxEventBytes - kept);
    if (take <= 0) return;
    if (!inLong && kept + take > LONG_LINE_BYTES) {
      long ??= Buffer.allocUnsafeSlow(maxEventBytes);
      let at = 0;
      for (const p of parts) at += p.copy(long, at);
      parts = [];
      inLong = true;
    }
    if (inLong) chunk.copy(long!, kept, from, from + take);
    else parts.push(Buffer.from(chunk.subarray(from, from + take)));
    kept += take;
  };

  const finishCarried = (): DecodedRecord => {
    const buf = inLong ? long! : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, kept);
    inLong = false;
    const contentLen = rawLen - (lastByte === CR ? 1 : 0);
    const record = fromBytes(buf, 0, contentLen, maxEventBytes, lineStart);
    parts = [];
    kept = 0;
    rawLen = 0;
    lastByte = -1;
    return record;
  };

  for await (const chunk of input) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        carry(chunk, start, chunk.length);
        break;
      }
      if (rawLen === 0) {
        // Fast path: the whole line is inside this chunk, decode it in place.
        const end = nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
        const line = fromBytes(chunk, start, end - start, maxEventBytes, lineStart);
        if (accept(line)) yield line;
      } else {
        carry(chunk, start, nl);
        const line = finishCarried();
        if (accept(line)) yield line;
      }
      start = nl + 1;
      lineStart = pos + start;
    }
    pos += chunk.length;
  }
  if (rawLen > 0) {
    const line = finishCarried();
    if (accept(line)) yield line;
  }
}

/**
 * Record for the `contentLen` bytes of a line at `buf[start]`, truncated to `max` bytes if longer
 * (and further if its JSON-escaped text is longer), flagged when they are not valid UTF-8.
 */
function fromBytes(buf: Buffer, start: number, contentLen: number, max: number, offset: number): DecodedRecord {
  if (contentLen <= max) return recordOf(offset, buf, start, start + contentLen, false, max);
  return recordOf(offset, buf, start, utf8Boundary(buf, start, start + max), true, max);
}

/**
 * Decoder for plain text: one record per `\n`-terminated line (`\r\n` accepted, a last line
 * without newline included). Empty lines are skipped but still count in the byte offsets.
 */
export function linesDecoder(opts: { maxEventBytes: number }): Decoder {
  // A truncated line is kept even if nothing fit (limit smaller than its first character).
  const accept = (line: DecodedRecord): boolean => line.text.length > 0 || line.truncated;
  return (input) => splitLines(input, opts.maxEventBytes, accept);
}
