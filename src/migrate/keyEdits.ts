/**
 * Text edits on one key of a block mapping: rename it in place, or add lines after it that look like
 * their neighbours (same indentation, inline comments in the same column).
 */
import type { Pair, Scalar } from "yaml";
import { indentBefore, insertLines, lineStart, nextLineStart, positionOf } from "./text.ts";
import type { TextEdit } from "./types.ts";

/** The text a migration edits, with the start offset of every comment in it (see `commentOffsets`). */
export interface EditContext {
  text: string;
  comments: readonly number[];
}

type KeyPair = Pair<Scalar, unknown>;

const keyStart = (pair: KeyPair): number => pair.key.range![0];

/** Where a pair's key and value end in the text (before any trailing comment). */
function pairEnd(pair: KeyPair): number {
  const value = pair.value as { range?: [number, number, number] } | null;
  return Math.max(pair.key.range![1], value?.range?.[1] ?? 0);
}

/** Offset of a comment that follows other content on the line holding `offset`, if any. */
function inlineComment(ctx: EditContext, offset: number): number | undefined {
  const from = lineStart(ctx.text, offset);
  const to = nextLineStart(ctx.text, offset + 1);
  return ctx.comments.find((c) => c > offset && c >= from && c < to && ctx.text.slice(from, c).trim() !== "");
}

/** Column (0-based) of the inline comment on the key line of `pair`, if it has one. */
export function commentColumn(ctx: EditContext, pair: KeyPair): number | undefined {
  const c = inlineComment(ctx, keyStart(pair));
  return c === undefined ? undefined : c - lineStart(ctx.text, c);
}

/**
 * The column new inline comments should use: the one most sibling keys use (ties go to the smaller,
 * as a comment pushed right by a long value is the exception, not the layout), else none.
 */
export function preferredCommentColumn(ctx: EditContext, siblings: readonly KeyPair[]): number | undefined {
  const counts = new Map<number, number>();
  for (const p of siblings) {
    const col = commentColumn(ctx, p);
    if (col !== undefined) counts.set(col, (counts.get(col) ?? 0) + 1);
  }
  let best: number | undefined;
  for (const [col, n] of counts) {
    const bestCount = best === undefined ? 0 : counts.get(best)!;
    if (n > bestCount || (n === bestCount && col < best!)) best = col;
  }
  return best;
}

/** `key: value` padded so that `# comment` starts at `column` (two spaces when it does not fit). */
export function settingLine(indent: string, key: string, value: string, comment: string, column: number | undefined): string {
  const body = `${indent}${key}: ${value}`;
  const pad = column !== undefined && body.length + 1 < column ? column - body.length : 2;
  return `${body}${" ".repeat(pad)}# ${comment}`;
}

/** The indentation of `pair`'s key: its own leading blanks, else as many spaces as its column. */
export function keyIndent(ctx: EditContext, pair: KeyPair): string {
  const start = keyStart(pair);
  return indentBefore(ctx.text, start) ?? " ".repeat(start - lineStart(ctx.text, start));
}

/** Inserts `lines` (without line breaks) on the lines right after `pair`'s value. */
export function insertAfter(ctx: EditContext, pair: KeyPair, lines: readonly string[]): TextEdit {
  return insertLines(ctx.text, nextLineStart(ctx.text, pairEnd(pair)), lines);
}

/**
 * Renames `pair`'s key from `from` to `to` in its written form (plain, quoted or dotted), keeping the
 * value and comments; an inline comment keeps its column where the spaces before it allow.
 */
export function renameKey(ctx: EditContext, pair: KeyPair, from: string, to: string): TextEdit[] {
  const [start, end] = pair.key.range!;
  const written = ctx.text.slice(start, end);
  const replaceLast = (s: string) => {
    const at = s.lastIndexOf(from);
    return at < 0 ? undefined : s.slice(0, at) + to + s.slice(at + from.length);
  };
  // A key spelt with escapes ("assume\u0052oleArn") cannot be edited in place: write it plainly.
  const renamed = replaceLast(written) ?? replaceLast(String(pair.key.value)) ?? to;
  const edits: TextEdit[] = [{ start, end, text: renamed }];

  const comment = inlineComment(ctx, start);
  if (comment !== undefined) {
    const gap = /[ ]+$/.exec(ctx.text.slice(end, comment));
    if (gap !== null) {
      const width = Math.max(1, gap[0].length - (renamed.length - written.length));
      edits.push({ start: comment - gap[0].length, end: comment, text: " ".repeat(width) });
    }
  }
  return edits;
}

/** A remark that calls the key names old, which stops being true once they are renamed. */
const OLD_NAMES_REMARK = /[ \t]*\((?:the )?(?:older|old|legacy|previous|LogRhythm(?:'s)?)(?: LogRhythm)?(?: key)? names?\)/gi;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Comments that would name keys the file no longer has: on the key line of each renamed pair and on
 * the comment lines right above it (up to a blank or any other line), every `from` name (a whole
 * word) becomes its `to`, and a remark like "(older key names)" is dropped. One edit and one change
 * line per comment that changes; the key line's comment keeps its column (only its text changes).
 */
export function renameInComments(
  ctx: EditContext,
  pairs: readonly KeyPair[],
  renames: readonly { from: string; to: string }[],
): { edits: TextEdit[]; changes: string[] } {
  const { text } = ctx;
  const seen = new Set<number>();
  const found: number[] = [];
  for (const pair of pairs) {
    const start = keyStart(pair);
    const inline = inlineComment(ctx, start);
    if (inline !== undefined) found.push(inline);
    for (let line = lineStart(text, start); line > 0; ) {
      const above = lineStart(text, line - 1);
      const comment = ctx.comments.find((c) => c >= above && c < line && text.slice(above, c).trim() === "");
      if (comment === undefined) break;
      found.push(comment);
      line = above;
    }
  }
  const edits: TextEdit[] = [];
  const changes: { offset: number; line: string }[] = [];
  for (const offset of found) {
    if (seen.has(offset)) continue;
    seen.add(offset);
    const end = offset + /^[^\r\n]*/.exec(text.slice(offset))![0].length;
    const before = text.slice(offset, end);
    const what: string[] = [];
    let after = before;
    for (const { from, to } of renames) {
      const re = new RegExp(`\\b${escapeRegExp(from)}\\b`, "g");
      if (re.test(after)) {
        after = after.replace(re, to);
        what.push(`${from} → ${to}`);
      }
    }
    const remarks = after.match(OLD_NAMES_REMARK) ?? [];
    after = after.replace(OLD_NAMES_REMARK, "");
    what.push(...remarks.map((r) => `dropped "${r.trim()}"`));
    if (what.length === 0) continue;
    edits.push({ start: offset, end, text: after });
    changes.push({ offset, line: `updated the comment on line ${positionOf(text, offset).line}: ${what.join(", ")}` });
  }
  return { edits, changes: changes.toSorted((a, b) => a.offset - b.offset).map((c) => c.line) };
}
