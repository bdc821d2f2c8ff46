/** Problems found in the plain config object, located by key path; load.ts adds the YAML line. */

/** A finding located by key path (`s3beat.sqsQueues[1]`). */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** `["s3beat", "sqsQueues", 1]` → `s3beat.sqsQueues[1]`. */
export function pathToString(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? String(s) : `.${String(s)}`;
  }
  return out;
}

/** A problem as the operator sees it: a SchemaIssue (or a YAML one) placed in the file. */
export interface ConfigProblem {
  /** Key path, e.g. `s3beat.sqsQueues[1]`; `""` for the file as a whole (a YAML syntax error). */
  path: string;
  /** 1-based, when the problem can be placed in the file. */
  line?: number;
  column?: number;
  message: string;
  /** Set when the problem is an unset `${VAR}` (no default): the variable's name. */
  variable?: string;
}

export type Rec = Record<string, unknown>;
export const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
export const rec = (v: unknown): Rec => (isRec(v) ? v : {});
