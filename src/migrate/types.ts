/**
 * The contract between `migrations/*.ts` and the runner. A migration is a pure function from a parsed
 * s3beat.yml to text edits: it never re-renders the document, so every byte it does not edit
 * (comments, quoting, blank lines, flow/block style) stays as it was.
 */
import type { Document } from "yaml";

/** Replace `[start, end)` of the input text with `text` (`start === end` inserts). */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Something a migration will not decide on its own; the runner then writes nothing. */
export interface MigrationProblem {
  /** Key path, e.g. `s3beat.assumeRoleArn`. */
  path: string;
  /** 1-based position in the input text, when known. */
  line?: number;
  column?: number;
  message: string;
}

export interface MigrationInput {
  /** The file parsed with `uniqueKeys: false`; its top level is a block mapping. */
  doc: Document.Parsed;
  /** The exact text `doc` was parsed from: edits are offsets into it. */
  text: string;
  /**
   * Start offsets of every comment in `text` (`#` included), in order: inline comments, which `doc`
   * does not place. The runner passes those of its one parse; without them a migration parses `text` again.
   */
  comments?: number[];
}

export interface MigrationResult {
  /** Non-overlapping edits of `input.text`, in any order. */
  edits: TextEdit[];
  /** One line per change, for the user (`renamed s3beat.assumeRoleArn to roleArn (line 12)`). */
  changes: string[];
  problems: MigrationProblem[];
}

/** One file in `migrations/`: brings a file from `version - 1` to `version`. */
export interface Migration {
  /** 1, 2, 3…: the configVersion a file has once this migration is applied. */
  version: number;
  /** One line, shown in the report. */
  description: string;
  /** Pure: no I/O, no clock, no environment. */
  migrate(input: MigrationInput): MigrationResult;
}
