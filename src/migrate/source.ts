/**
 * Parses a config file for migration, once: yaml's CST tokens, the Document composed from them (for
 * structure and node ranges), and from the same tokens the offsets of the comments (the Document
 * does not place inline comments) and of a `...` end marker. A file that is not valid YAML, or whose
 * top level is not a block mapping, is refused with a line and column.
 */
import { yamlErrorMessage } from "../config/yamlErrors.ts";
import { Composer, type CST, isMap, isScalar, isSeq, LineCounter, Parser, YAMLParseError } from "yaml";
import type { Document, YAMLMap } from "yaml";
import type { MigrationProblem } from "./types.ts";

/** A config file that can be migrated: valid YAML whose top level is a block mapping. */
export interface ParsedSource {
  doc: Document.Parsed;
  top: YAMLMap;
  text: string;
  /** Start offsets of every comment in `text` (`#` included), in order. */
  comments: number[];
  /** Offset of the `...` document end marker, if the file has one (new top-level keys go before it). */
  documentEnd: number | undefined;
  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number };
}

/** The parsed file, or the problems (with line and column) that make it impossible to migrate. */
export type ParseOutcome = { ok: true; source: ParsedSource } | { ok: false; problems: MigrationProblem[] };

/** The one Document of `tokens`; a second document is an error, as in yaml's parseDocument. */
function composeOne(tokens: CST.Token[], length: number): Document.Parsed {
  // uniqueKeys off, as in the loader: a duplicated key is a config problem, not a YAML one.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents"));
      break;
    }
  }
  // compose(…, forceDoc) yields a document even for an empty text.
  return doc!;
}

/** Parses `text`, or says why it cannot be migrated (every problem placed by line and column). */
export function parseSource(text: string): ParseOutcome {
  const lineCounter = new LineCounter();
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const doc = composeOne(tokens, text.length);
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
  const documentEnd = tokens.find((t) => t.type === "doc-end")?.offset;
  return { ok: true, source: { doc, top, text, comments: commentsOf(tokens), documentEnd, position } };
}

/** Start offsets of every comment in `text` (`#` included), in order. */
export function commentOffsets(text: string): number[] {
  return commentsOf([...new Parser().parse(text)]);
}

/** Comment offsets of a token stream: wherever a token type keeps its comments, in order. */
function commentsOf(tokens: readonly CST.Token[]): number[] {
  const found: number[] = [];
  const each = (list: readonly (CST.Token | undefined | null)[] | undefined) => {
    for (const t of list ?? []) visit(t);
  };
  const visit = (t: CST.Token | undefined | null): void => {
    if (!t) return;
    switch (t.type) {
      case "comment":
        found.push(t.offset);
        return;
      case "document":
        each(t.start);
        visit(t.value);
        each(t.end);
        return;
      case "doc-end":
      case "alias":
      case "scalar":
      case "single-quoted-scalar":
      case "double-quoted-scalar":
        each(t.end);
        return;
      case "block-scalar":
        each(t.props);
        return;
      case "block-map":
      case "block-seq":
      case "flow-collection":
        if (t.type === "flow-collection") visit(t.start);
        for (const item of t.items) {
          each(item.start);
          visit(item.key);
          each(item.sep);
          visit(item.value);
        }
        if (t.type === "flow-collection") each(t.end);
        return;
      default:
        return;
    }
  };
  each(tokens);
  return found.toSorted((a, b) => a - b);
}
