/**
 * The file's schema version: a top-level `configVersion:` key, absent = 0. Only migrate-config
 * writes it, once after all pending migrations, so a file never claims a version it has not reached.
 */
import { isScalar } from "yaml";
import type { Pair, Scalar } from "yaml";
import type { ParsedSource } from "./source.ts";
import { insertLines, lineBreakOf, lineStart } from "./text.ts";
import type { MigrationProblem, TextEdit } from "./types.ts";

/** The top-level key that records the schema version. */
export const VERSION_KEY = "configVersion";

const VERSION_COMMENT = "# Schema version of this file. s3beat migrate-config manages it: do not edit it by hand.";

function versionPairs(source: ParsedSource): Pair<Scalar, unknown>[] {
  return source.top.items.filter((p): p is Pair<Scalar, unknown> => isScalar(p.key) && p.key.value === VERSION_KEY);
}

/** The file's version, or why it cannot be read (placed at the key). */
export function readVersion(source: ParsedSource): { version: number; line?: number; column?: number } | { problem: MigrationProblem } {
  const pairs = versionPairs(source);
  const [pair, second] = pairs;
  if (pair === undefined) return { version: 0 };
  const at = (p: Pair<Scalar, unknown>) => source.position(p.key.range![0]);
  if (second !== undefined) {
    return { problem: { path: VERSION_KEY, ...at(second), message: `is set more than once (first at line ${at(pair).line}); keep one` } };
  }
  const value = pair.value;
  // `configVersion:` with no value means "not set", as everywhere in the loader.
  if (isScalar(value) && value.value === null) return { version: 0, ...at(pair) };
  // The loader also takes "1" (as from ${VAR} expansion), so this does too.
  const n = isScalar(value) && typeof value.value === "string" && /^\d+$/.test(value.value) ? Number(value.value) : isScalar(value) ? value.value : undefined;
  if (typeof n === "number" && Number.isSafeInteger(n) && n >= 0) return { version: n, ...at(pair) };
  return {
    problem: {
      path: VERSION_KEY,
      ...at(pair),
      message: "must be a whole number, 0 or more (migrate-config manages it; remove the key to start from version 0)",
    },
  };
}

/** The edit that records `version`: the existing value replaced, or the key added at the end of the file. */
export function stampVersion(source: ParsedSource, version: number): TextEdit {
  const { text } = source;
  const [pair] = versionPairs(source);
  if (pair !== undefined) {
    const value = pair.value as Scalar | null;
    if (value?.range && value.value !== null) return { start: value.range[0], end: value.range[1], text: String(version) };
    // No value: rewrite `configVersion:` itself, keeping whatever follows on the line.
    const [start, end] = pair.key.range!;
    const colon = text.indexOf(":", end);
    return { start, end: colon + 1, text: `${VERSION_KEY}: ${version}` };
  }
  const lines = [VERSION_COMMENT, `${VERSION_KEY}: ${version}`];
  const marker = source.documentEnd;
  if (marker !== undefined) return insertLines(text, lineStart(text, marker), lines);
  // A blank line sets it apart from the last section, unless the file already ends with one.
  const eol = lineBreakOf(text);
  const endsBlank = text.length === 0 || text.endsWith(`${eol}${eol}`) || text === eol;
  return insertLines(text, text.length, endsBlank ? lines : ["", ...lines]);
}
