/**
 * Sizes "as shipped". Every output sends an event as JSON (JSON.stringify), where a string does not
 * take its UTF-8 length: `"` and `\` take 2 bytes, `\b \f \n \r \t` 2, the other control characters
 * 6 (`\u0000`) and a lone surrogate 6 (`\ud800`). A 10 MiB line of NUL bytes ships as 60 MiB, so
 * `maxEventBytes` and the batch sizes are counted on this size, not on the raw bytes.
 */
import { isUtf8 } from "node:buffer";
import { ASCII_BYTES } from "../../util/jsonBytes.ts";
import type { DecodedRecord } from "../../events/record.ts";
import { utf8Boundary } from "./utf8.ts";

/**
 * Most bytes one input byte can ship as: a control byte becomes `\u00XX` (6), an invalid UTF-8 byte
 * becomes U+FFFD (3). A record of `n` raw bytes never ships more than `n * MAX_SHIPPED_PER_BYTE`.
 */
export const MAX_SHIPPED_PER_BYTE = 6;

/**
 * The longest prefix of `text` that takes at most `maxBytes` inside a JSON string, cut between
 * characters (never inside a surrogate pair), as a string of its own (a plain `slice` would keep
 * the whole of `text` alive); undefined when `text` fits as it is.
 */
export function cutToJsonBytes(text: string, maxBytes: number): string | undefined {
  let n = 0;
  let i = 0;
  const len = text.length;
  while (i < len) {
    const c = text.charCodeAt(i);
    let bytes: number;
    let units = 1;
    if (c < 0x80) bytes = ASCII_BYTES[c]!;
    else if (c < 0x800) bytes = 2;
    else if (c < 0xd800 || c > 0xdfff) bytes = 3;
    else if (c < 0xdc00 && i + 1 < len && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes = 4;
      units = 2;
    } else bytes = 6;
    if (n + bytes > maxBytes) return copyOf(text.slice(0, i));
    n += bytes;
    i += units;
  }
  return undefined;
}

/** Bytes a byte of valid UTF-8 takes inside a JSON string (a multi-byte character's bytes are copied as they are). */
const BYTE_SHIPS = new Uint8Array(256).fill(1);
for (let c = 0; c < 128; c++) BYTE_SHIPS[c] = ASCII_BYTES[c]!;

/**
 * The largest `p <= end`, on a character boundary, such that `buf[start, p)` takes at most
 * `maxBytes` inside a JSON string, counting the bytes as valid UTF-8 (invalid ones ship as the
 * 3-byte U+FFFD: recordOf measures those again on the text).
 */
function shippedEnd(buf: Buffer, start: number, end: number, maxBytes: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    n += BYTE_SHIPS[buf[i]!]!;
    if (n > maxBytes) return utf8Boundary(buf, start, i);
  }
  return end;
}

/** Latin-1 text: one byte per character, so a string of it takes one byte per character too. */
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/** A copy of `s` that shares nothing with the string it was sliced from (lone surrogates kept). */
function copyOf(s: string): string {
  return BEYOND_LATIN1.test(s) ? Buffer.from(s, "utf16le").toString("utf16le") : Buffer.from(s, "latin1").toString("latin1");
}

/**
 * The record for `buf[start, end)`, decoded as UTF-8. `invalidUtf8` is set when the bytes are not
 * valid UTF-8 (their invalid sequences became U+FFFD); a record whose text would ship past
 * `maxEventBytes` once JSON-escaped is cut further, on a character boundary, and flagged truncated.
 * The cut is found on the bytes, so that only what is kept is decoded (a 10 MiB line of NUL bytes
 * becomes a string of 1.7 MiB, never one of 10 MiB).
 */
export function recordOf(offset: number, buf: Buffer, start: number, end: number, truncated: boolean, maxEventBytes: number): DecodedRecord {
  // Fewer bytes than maxEventBytes / 6 always fit: no need to look at them.
  const mayNotFit = (end - start) * MAX_SHIPPED_PER_BYTE > maxEventBytes;
  if (mayNotFit) {
    const fit = shippedEnd(buf, start, end, maxEventBytes);
    if (fit < end) {
      end = fit;
      truncated = true;
    }
  }
  const record: DecodedRecord = { offset, text: buf.toString("utf8", start, end), truncated };
  // Decoding turns every invalid sequence into U+FFFD: without one the bytes were valid, and
  // searching a (mostly one-byte) string for it is far cheaper than validating the bytes.
  if (record.text.includes("\uFFFD") && !isUtf8(buf.subarray(start, end))) {
    record.invalidUtf8 = true;
    const cut = mayNotFit ? cutToJsonBytes(record.text, maxEventBytes) : undefined;
    if (cut !== undefined) {
      record.text = cut;
      record.truncated = true;
    }
  }
  return record;
}
