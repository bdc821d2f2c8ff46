// Over 300 lines: one streaming JSON scanner (a state machine over bytes); split, its states would have to be shared.
import type { Decoder } from "./decoder.ts";
import type { DecodedRecord } from "../../events/record.ts";
import { utf8Boundary } from "./utf8.ts";
import { recordOf } from "./shipped.ts";

// A hand-written scanner rather than JSON.parse: records must carry their exact source text and
// byte offset, and a multi-GB object must never be held in memory.

// Scanner states (what the next significant byte may be).
const TOP = 0; // between top-level values: whitespace, a value, or end of input
const VALUE = 1; // a value (after ':' or after ',' in an array)
const ARR_FIRST = 2; // a value or ']' (just after '[')
const OBJ_FIRST = 3; // a key or '}' (just after '{')
const KEY = 4; // a key (after ',' in an object)
const COLON = 5;
const AFTER = 6; // ',' or the closer of the current container
const STRING = 7; // inside a string (key or value)
const TOKEN = 8; // inside a number / true / false / null

// Container frame flags.
const F_ARR = 1;
const F_EXPAND = 2; // array whose elements are records
const F_FIELD_OBJ = 4; // top-level object searched for expandEventListFromField

// What the current top-level object says about expandEventListFromField.
const FIELD_MISSING = 0;
const FIELD_FOUND = 1;
const FIELD_NOT_ARRAY = 2;

/** Deeper nesting is treated as malformed, so the container stack stays bounded (Go's encoding/json uses the same limit). */
const MAX_DEPTH = 10_000;
/** Longest number/literal accepted; real numbers are far shorter, and this bounds the token buffer. */
const MAX_TOKEN_CHARS = 4096;
const NUMBER_OR_LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

const TOKEN_BYTE = new Uint8Array(256); // bytes that may continue a number or literal
const TOKEN_START = new Uint8Array(256); // bytes that may start one
for (const c of "0123456789-+.eEabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_BYTE[c.charCodeAt(0)] = 1;
for (const c of "0123456789-tfn") TOKEN_START[c.charCodeAt(0)] = 1;

/** Bytes of one value being collected, at most `limit` of them kept (copied: producers may reuse buffers). */
interface Capture {
  /** Stream offset of the first byte. */
  offset: number;
  /** Index in the current chunk from which bytes are not yet collected. */
  from: number;
  limit: number;
  /** Container depth at which the value started; it ends when the scanner is back there. */
  depth: number;
  parts: Buffer[];
  kept: number;
  total: number;
}

function capture(offset: number, from: number, limit: number, depth: number): Capture {
  return { offset, from, limit, depth, parts: [], kept: 0, total: 0 };
}

function collect(c: Capture, chunk: Buffer, end: number): void {
  const n = end - c.from;
  if (n > 0) {
    c.total += n;
    const take = Math.min(n, c.limit - c.kept);
    if (take > 0) {
      c.parts.push(Buffer.from(chunk.subarray(c.from, c.from + take)));
      c.kept += take;
    }
  }
  c.from = end;
}

/** The bytes of a finished capture: `buf[start, stop)`. */
interface Captured {
  buf: Buffer;
  start: number;
  stop: number;
  truncated: boolean;
}

/** Bytes of a capture ending at `chunk[end]` (exclusive), cut to `limit` bytes on a character boundary. */
function finish(c: Capture, chunk: Buffer, end: number): Captured {
  if (c.total === 0) {
    // Fast path: the whole value lies in this chunk, decode it in place.
    const stop = end - c.from <= c.limit ? end : utf8Boundary(chunk, c.from, c.from + c.limit);
    return { buf: chunk, start: c.from, stop, truncated: stop !== end };
  }
  collect(c, chunk, end);
  const buf = c.parts.length === 1 ? (c.parts[0] as Buffer) : Buffer.concat(c.parts, c.kept);
  if (c.total <= c.limit) return { buf, start: 0, stop: buf.length, truncated: false };
  return { buf, start: 0, stop: utf8Boundary(buf, 0, c.limit), truncated: true };
}

function malformed(offset: number, what: string): Error {
  return new Error(`malformed JSON at byte ${offset}: ${what}`);
}

function unexpected(offset: number, b: number): Error {
  const shown = b >= 0x21 && b <= 0x7e ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, "0")}`;
  return malformed(offset, `unexpected ${shown}`);
}

function parseKey(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * Decoder for JSON objects: input is one or more top-level JSON values (whitespace between them
 * optional). Without `expandEventListFromField` each top-level value is one record. With it, each
 * element of the array under that top-level key is one record (a top-level array is expanded
 * directly); a top-level value without that array is emitted whole with
 * `error: 'field "<name>" not found'` (or `'field "<name>" is not an array'`).
 *
 * Records carry the exact source bytes and the offset of their first byte; values longer than
 * `maxEventBytes` (or whose text would ship JSON-escaped past it) are cut and flagged truncated, and
 * values whose bytes are not valid UTF-8 are flagged `invalidUtf8`. Structurally broken input throws
 * `malformed JSON at byte <offset>: <what>` after the records before it were yielded.
 * Strings are not validated beyond finding where they end.
 */
export function jsonDecoder(opts: { maxEventBytes: number; expandEventListFromField?: string }): Decoder {
  const { maxEventBytes, expandEventListFromField: field } = opts;
  // An escaped key spends at most 6 bytes (\uXXXX) per UTF-16 unit: longer keys cannot match.
  const keyLimit = field === undefined ? 0 : field.length * 6 + 2;

  return async function* decodeJson(input) {
    let pos = 0; // stream offset of the current chunk's byte 0
    let state = TOP;
    const frames: number[] = [];
    // `as`: both are also set inside the closures below, which TS's narrowing does not see.
    let rec = null as Capture | null;
    let key = null as Capture | null;
    let keyMatched = false;
    let fieldState = FIELD_MISSING;
    let inKey = false;
    let escaped = false;
    let token = "";
    let tokenStart = 0;

    /** Called when a value ended at `chunk[end]` (exclusive); returns the record it completes, if any. */
    const endValue = (chunk: Buffer, end: number): DecodedRecord | undefined => {
      let out: DecodedRecord | undefined;
      if (rec !== null && rec.depth === frames.length) {
        const v = finish(rec, chunk, end);
        out = recordOf(rec.offset, v.buf, v.start, v.stop, v.truncated, maxEventBytes);
        // In expand mode a top-level value is only still captured when the array was not found.
        if (rec.depth === 0 && field !== undefined) {
          out.error = fieldState === FIELD_NOT_ARRAY ? `field "${field}" is not an array` : `field "${field}" not found`;
        }
        rec = null;
      }
      state = frames.length === 0 ? TOP : AFTER;
      return out;
    };

    /** Handles the first byte of a value at `chunk[i]`; returns where scanning continues. */
    const startValue = (b: number, i: number): number => {
      const offset = pos + i;
      const depth = frames.length;
      let flags = 0;
      if (depth === 0) {
        fieldState = FIELD_MISSING;
        if (field !== undefined && b === 0x5b) flags = F_EXPAND;
        else {
          rec = capture(offset, i, maxEventBytes, 0);
          if (field !== undefined && b === 0x7b) flags = F_FIELD_OBJ;
        }
      } else {
        const parent = frames[depth - 1] as number;
        if (parent & F_EXPAND) rec = capture(offset, i, maxEventBytes, depth);
        else if (parent & F_FIELD_OBJ && keyMatched) {
          keyMatched = false;
          if (b === 0x5b) {
            flags = F_EXPAND;
            fieldState = FIELD_FOUND;
            rec = null; // the object itself is no longer an event: its elements are
          } else if (fieldState !== FIELD_FOUND) fieldState = FIELD_NOT_ARRAY;
        }
      }
      if (b === 0x7b || b === 0x5b) {
        if (depth >= MAX_DEPTH) throw malformed(offset, `nesting deeper than ${MAX_DEPTH}`);
        frames.push(flags | (b === 0x5b ? F_ARR : 0));
        state = b === 0x5b ? ARR_FIRST : OBJ_FIRST;
        return i + 1;
      }
      if (b === 0x22) {
        inKey = false;
        state = STRING;
        return i + 1;
      }
      if (TOKEN_START[b] === 1) {
        token = "";
        tokenStart = offset;
        state = TOKEN;
        return i; // the TOKEN state consumes it
      }
      throw unexpected(offset, b);
    };

    const checkToken = (): void => {
      if (!NUMBER_OR_LITERAL.test(token)) throw malformed(tokenStart, `invalid literal "${token.slice(0, 32)}"`);
    };

    for await (const chunk of input) {
      const n = chunk.length;
      // Next '"' and '\' at or after the scan position (n = none in this chunk): each is searched
      // for once per occurrence, so strings are skipped with indexOf instead of byte by byte.
      let nextQuote = -1;
      let nextBackslash = -1;
      let i = 0;
      while (i < n) {
        if (state === STRING) {
          if (escaped) {
            escaped = false;
            i++;
            continue;
          }
          if (nextQuote < i) {
            const q = chunk.indexOf(0x22, i);
            nextQuote = q === -1 ? n : q;
          }
          if (nextBackslash < i) {
            const bs = chunk.indexOf(0x5c, i);
            nextBackslash = bs === -1 ? n : bs;
          }
          if (nextBackslash < nextQuote) {
            escaped = true;
            i = nextBackslash + 1;
            continue;
          }
          if (nextQuote === n) {
            i = n;
            continue;
          }
          i = nextQuote + 1;
          if (inKey) {
            if (key !== null) {
              const k = finish(key, chunk, i);
              keyMatched = !k.truncated && parseKey(k.buf.toString("utf8", k.start, k.stop)) === field;
              key = null;
            }
            state = COLON;
          } else {
            const r = endValue(chunk, i);
            if (r !== undefined) yield r;
          }
          continue;
        }

        if (state === TOKEN) {
          let j = i;
          while (j < n && TOKEN_BYTE[chunk[j] as number] === 1) j++;
          token += chunk.toString("latin1", i, j);
          if (token.length > MAX_TOKEN_CHARS) throw malformed(tokenStart, "number or literal too long");
          if (j === n) {
            i = n;
            continue;
          }
          checkToken();
          const r = endValue(chunk, j);
          if (r !== undefined) yield r;
          i = j; // the byte after the token is handled by the new state
          continue;
        }

        const b = chunk[i] as number;
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
          i++;
          continue;
        }
        const top = frames.length === 0 ? 0 : (frames[frames.length - 1] as number);
        const closes =
          (b === 0x7d && (state === OBJ_FIRST || (state === AFTER && !(top & F_ARR)))) ||
          (b === 0x5d && (state === ARR_FIRST || (state === AFTER && (top & F_ARR) !== 0)));
        if (closes) {
          frames.pop();
          i++;
          const r = endValue(chunk, i);
          if (r !== undefined) yield r;
          continue;
        }
        switch (state) {
          case TOP:
          case VALUE:
          case ARR_FIRST:
            i = startValue(b, i);
            break;
          case OBJ_FIRST:
          case KEY:
            if (b !== 0x22) throw unexpected(pos + i, b);
            inKey = true;
            keyMatched = false;
            if (frames.length === 1 && top & F_FIELD_OBJ) key = capture(pos + i, i, keyLimit, 1);
            state = STRING;
            i++;
            break;
          case COLON:
            if (b !== 0x3a) throw unexpected(pos + i, b);
            state = VALUE;
            i++;
            break;
          default: // AFTER
            if (b !== 0x2c) throw unexpected(pos + i, b);
            state = top & F_ARR ? VALUE : KEY;
            i++;
        }
      }
      // Values still open continue in the next chunk: keep their bytes of this one.
      if (rec !== null) {
        collect(rec, chunk, n);
        rec.from = 0;
      }
      if (key !== null) {
        collect(key, chunk, n);
        key.from = 0;
      }
      pos += n;
    }

    if (state === TOKEN && frames.length === 0) {
      checkToken();
      const r = endValue(Buffer.alloc(0), 0);
      if (r !== undefined) yield r;
    }
    if (state !== TOP) throw malformed(pos, "unexpected end of input");
  };
}
