import type { DecodedRecord } from "../../events/record.ts";
import type { MultilineSettings } from "../../config/settings.ts";
import { jsonStringBytes } from "../../util/jsonBytes.ts";
import { cutToJsonBytes } from "./shipped.ts";

/** The `\n` joining two lines, as shipped (JSON-escaped). */
const SEPARATOR_BYTES = 2;

/** A group of lines being joined into one record; holds at most maxLines lines / maxEventBytes bytes. */
interface Group {
  offset: number;
  lines: string[];
  /** Lines that belonged to the group, dropped ones included. */
  count: number;
  /** Bytes of `lines` joined with `\n`, as shipped (JSON-escaped: the `\n` takes 2). */
  bytes: number;
  /** No more text fits: later lines are only counted. */
  full: boolean;
  truncated: boolean;
  invalidUtf8: boolean;
  error?: string;
}

/**
 * Joins line records into multiline records with Filebeat's semantics. For each line,
 * `m = pattern.test(line) !== negate`; with `match: "after"` a line with `m` continues the open
 * group and any other line starts a new one; with `match: "before"` every line joins the open
 * group and a line without `m` closes it. Lines are joined with `\n`, the record has the first
 * line's offset and `multiline: true` when it holds more than one line. Lines past `maxLines`
 * are dropped and text that would ship past `maxEventBytes` (JSON-escaped) is cut (character-safe);
 * both flag it truncated. A record with (part of) a line that was not valid UTF-8 is flagged `invalidUtf8`.
 */
export async function* multiline(records: AsyncIterable<DecodedRecord>, opts: MultilineSettings & { maxEventBytes: number }): AsyncIterable<DecodedRecord> {
  // `g`/`y` would make test() stateful (lastIndex) and skip matches on alternate lines.
  const { pattern } = opts;
  const re = pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")) : pattern;
  let group: Group | undefined;

  for await (const r of records) {
    const m = re.test(r.text) !== opts.negate;
    if (opts.match === "after") {
      if (m && group !== undefined) append(group, r, opts);
      else {
        if (group !== undefined) yield toRecord(group);
        group = start(r, opts.maxEventBytes);
      }
    } else {
      if (group === undefined) group = start(r, opts.maxEventBytes);
      else append(group, r, opts);
      if (!m) {
        yield toRecord(group);
        group = undefined;
      }
    }
  }
  if (group !== undefined) yield toRecord(group);
}

function start(r: DecodedRecord, maxEventBytes: number): Group {
  const g: Group = { offset: r.offset, lines: [], count: 0, bytes: 0, full: false, truncated: false, invalidUtf8: false };
  append(g, r, { maxLines: Number.POSITIVE_INFINITY, maxEventBytes });
  return g;
}

function append(g: Group, r: DecodedRecord, limits: { maxLines: number; maxEventBytes: number }): void {
  g.count++;
  if (r.truncated) g.truncated = true;
  if (r.error !== undefined && g.error === undefined) g.error = r.error;
  if (g.full || g.lines.length >= limits.maxLines) {
    g.truncated = true;
    return;
  }
  const sep = g.lines.length > 0 ? SEPARATOR_BYTES : 0;
  const size = jsonStringBytes(r.text);
  if (g.bytes + sep + size <= limits.maxEventBytes) {
    g.lines.push(r.text);
    g.bytes += sep + size;
    if (r.invalidUtf8) g.invalidUtf8 = true;
    return;
  }
  g.truncated = true;
  g.full = true;
  const room = limits.maxEventBytes - g.bytes - sep;
  if (room > 0) {
    const cut = cutToJsonBytes(r.text, room) ?? r.text;
    g.lines.push(cut);
    g.bytes += sep + jsonStringBytes(cut);
    if (r.invalidUtf8) g.invalidUtf8 = true;
  }
}

function toRecord(g: Group): DecodedRecord {
  const out: DecodedRecord = { offset: g.offset, text: g.lines.join("\n"), truncated: g.truncated };
  if (g.count > 1) out.multiline = true;
  if (g.invalidUtf8) out.invalidUtf8 = true;
  if (g.error !== undefined) out.error = g.error;
  return out;
}
