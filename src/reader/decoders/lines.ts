import type { Decoder, DecodedRecord } from "./decoder.ts";

const LF = 10;
const CR = 13;

/**
 * Largest index `<= end` (and `>= start`) at which `buf` can be cut without splitting a UTF-8
 * multi-byte sequence that starts in `[start, end)`. Only the last (at most 4) bytes are looked at.
 */
export function utf8Boundary(buf: Uint8Array, start: number, end: number): number {
  // Walk back over continuation bytes (10xxxxxx) to the lead byte of the last character.
  let i = end - 1;
  while (i > start && end - i < 4 && ((buf[i] ?? 0) & 0xc0) === 0x80) i--;
  const lead = buf[i] ?? 0;
  if (i < start || lead < 0xc0) return end; // ASCII, or invalid UTF-8 we leave alone
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return i + need > end ? i : end;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes on a character boundary. */
export function cutUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= maxBytes) return text;
  return buf.toString("utf8", 0, utf8Boundary(buf, 0, maxBytes));
}

/**
 * Splits a byte stream into lines (`\n`, one trailing `\r` stripped) and yields those `accept`
 * returns true for (it may also annotate them, e.g. set `error`): a callback rather than a second
 * generator layer, which would cost a promise round-trip per line. A line longer than `maxEventBytes`
 * keeps its first `maxEventBytes` bytes (cut on a character boundary) and is flagged truncated;
 * the rest of it is counted but never stored, so memory stays at `maxEventBytes` + one chunk.
 */
export async function* splitLines(
  input: AsyncIterable<Buffer>,
  maxEventBytes: number,
  accept: (line: DecodedRecord) => boolean,
): AsyncGenerator<DecodedRecord> {
  let pos = 0; // stream offset of the current chunk's byte 0
  let lineStart = 0; // stream offset of the current line's first byte
  // Bytes of the current line seen in earlier chunks: copied (the producer may reuse its
  // buffers) as a list and concatenated once at the end, never repeatedly.
  let parts: Buffer[] = [];
  let kept = 0;
  let rawLen = 0;
  let lastByte = -1;

  const carry = (chunk: Buffer, from: number, to: number): void => {
    if (to <= from) return;
    rawLen += to - from;
    lastByte = chunk[to - 1] ?? -1;
    const take = Math.min(to - from, maxEventBytes - kept);
    if (take > 0) {
      parts.push(Buffer.from(chunk.subarray(from, from + take)));
      kept += take;
    }
  };

  const finishCarried = (): DecodedRecord => {
    const buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, kept);
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

/** Record for the `contentLen` bytes of a line at `buf[start]`, truncated to `max` bytes if longer. */
function fromBytes(buf: Buffer, start: number, contentLen: number, max: number, offset: number): DecodedRecord {
  if (contentLen <= max) {
    return { offset, text: buf.toString("utf8", start, start + contentLen), truncated: false };
  }
  const cut = utf8Boundary(buf, start, start + max);
  return { offset, text: buf.toString("utf8", start, cut), truncated: true };
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
