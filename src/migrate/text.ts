/**
 * Line-level helpers on raw source text. Offsets are UTF-16 indices into the string, as the `yaml`
 * package reports them. Line breaks are found by `\n`, so the helpers work for LF and CRLF alike.
 */
import type { TextEdit } from "./types.ts";

/** The file's line break: CRLF if its first line break is one, else LF (also for a one-line file). */
export function lineBreakOf(text: string): "\n" | "\r\n" {
  const nl = text.indexOf("\n");
  return nl > 0 && text[nl - 1] === "\r" ? "\r\n" : "\n";
}

/** Offset of the first character of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/**
 * Offset just after the line break ending the line that holds `offset`, or the text's length on a
 * last line without one. An offset already at a line start (a block value's end) stays there.
 */
export function nextLineStart(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === "\n") return offset;
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}

/** The leading blanks of the line holding `offset`, when nothing but blanks precede `offset` there. */
export function indentBefore(text: string, offset: number): string | undefined {
  const before = text.slice(lineStart(text, offset), offset);
  return /^[ \t]*$/.test(before) ? before : undefined;
}

/**
 * Inserts whole lines (given without line breaks) at `at`, which is a line start or the end of a
 * text that has no final line break; a missing final line break stays missing.
 */
export function insertLines(text: string, at: number, lines: readonly string[]): TextEdit {
  const eol = lineBreakOf(text);
  if (at === text.length && text.length > 0 && !text.endsWith("\n")) {
    return { start: at, end: at, text: lines.map((l) => eol + l).join("") };
  }
  return { start: at, end: at, text: lines.map((l) => l + eol).join("") };
}

/** Applies non-overlapping edits (any order); throws on an overlap, which would be a migration bug. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  // Stable for equal starts: two inserts at one offset keep the order the migration gave them.
  const sorted = edits.map((e, i) => ({ e, i })).toSorted((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i);
  let out = "";
  let pos = 0;
  for (const { e } of sorted) {
    if (e.start < pos || e.end < e.start || e.end > text.length) {
      throw new Error(`overlapping or out-of-range edit at offset ${e.start}`);
    }
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/** 1-based line and column of `offset`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return { line, column: offset - lineStart(text, offset) + 1 };
}
