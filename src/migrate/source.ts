/**
 * Parses a config file for migration: the `yaml` Document (for structure and node ranges) and its
 * CST comments (for the column of inline comments, which the Document does not place). A file that
 * is not valid YAML, or whose top level is not a block mapping, is refused with a line and column.
 */
import { yamlErrorMessage } from "../config/yamlErrors.ts";
import { isMap, isScalar, isSeq, LineCounter, Parser, parseDocument } from "yaml";
import type { Document, YAMLMap } from "yaml";
import type { MigrationProblem } from "./types.ts";

/** A config file that can be migrated: valid YAML whose top level is a block mapping. */
export interface ParsedSource {
  doc: Document.Parsed;
  top: YAMLMap;
  text: string;
  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number };
}

/** The parsed file, or the problems (with line and column) that make it impossible to migrate. */
export type ParseOutcome = { ok: true; source: ParsedSource } | { ok: false; problems: MigrationProblem[] };

/** Parses `text`, or says why it cannot be migrated (every problem placed by line and column). */
export function parseSource(text: string): ParseOutcome {
  const lineCounter = new LineCounter();
  // uniqueKeys off, as in the loader: a duplicated key is a config problem, not a YAML one.
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({ path: "", ...position(e.pos[0]), message: yamlErrorMessage(e) })),
    };
  }
  const top = doc.contents;
  if (!isMap(top) || top.flow) {
    const found =
      top === null || (isScalar(top) && top.value === null) ? "an empty file" : isMap(top) ? "a {…} flow mapping" : isSeq(top) ? "a list" : "a single value";
    const message = `the top level must be a block mapping of keys (s3beat:, output.*, logging.*), found ${found}`;
    return { ok: false, problems: [{ path: "", ...position(top?.range?.[0] ?? 0), message }] };
  }
  return { ok: true, source: { doc, top, text, position } };
}

/** Start offsets of every comment in `text` (`#` included), from yaml's CST, in order. */
export function commentOffsets(text: string): number[] {
  const found: number[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
    } else if (typeof node === "object" && node !== null) {
      const t = node as { type?: unknown; offset?: unknown };
      if (t.type === "comment" && typeof t.offset === "number") found.push(t.offset);
      for (const v of Object.values(node)) if (typeof v === "object") walk(v);
    }
  };
  for (const token of new Parser().parse(text)) walk(token);
  return found.toSorted((a, b) => a - b);
}

/** Offset of the `...` document end marker, if the file has one (new top-level keys go before it). */
export function documentEndMarker(text: string): number | undefined {
  for (const token of new Parser().parse(text)) {
    if (token.type === "doc-end") return token.offset;
  }
  return undefined;
}
