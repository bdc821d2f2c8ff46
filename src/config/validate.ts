/**
 * Validation of the plain config object: per-field (zod), unknown keys, cross-field rules, and the
 * mapping to `Settings`. Every problem is located by its key path.
 */
import { crossChecks } from "./crossChecks.ts";
import { isRec, pathToString, type Rec, type SchemaIssue } from "./issues.ts";
import { renameLegacy } from "./legacyNames.ts";
import { configSchema } from "./schema.ts";
import type { Settings } from "./settings.ts";
import { toSettings } from "./toSettings.ts";

export interface Validation {
  /** Present only when there are no errors. */
  settings?: Settings;
  errors: SchemaIssue[];
  warnings: SchemaIssue[];
  /** Paths of keys the schema does not know (kept in the file, ignored here). */
  unknownKeys: string[];
  /** The file's top-level `configVersion` (0 when absent); present only with `settings`. */
  configVersion?: number;
}

/**
 * `key:` with no value means "not set" (the default applies), except an output section, where
 * `output.console:` alone enables it, as in libbeat.
 */
function dropNulls(raw: Rec): Rec {
  const walk = (v: unknown, isOutput: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (!isRec(v)) return v;
    const out: Rec = {};
    for (const [k, x] of Object.entries(v)) {
      // defineProperty: a key named __proto__ must stay an ordinary key.
      if (x !== null || isOutput) Object.defineProperty(out, k, { value: x === null ? {} : walk(x, false), enumerable: true, writable: true });
    }
    return out;
  };
  const out = walk(raw, false) as Rec;
  if (isRec(raw.output)) out.output = walk(raw.output, true);
  return out;
}

/** A copy of `raw` without the keys at `paths` (paths from zod's unrecognized_keys issues). */
function without(raw: Rec, paths: PropertyKey[][]): Rec {
  const copy = structuredClone(raw);
  for (const p of paths) {
    let obj: unknown = copy;
    for (const seg of p.slice(0, -1)) obj = (obj as Rec)[seg as string];
    if (isRec(obj)) delete obj[p[p.length - 1] as string];
  }
  return copy;
}

/** Validates the plain config object: every error and warning at once, and `settings` when valid. */
export function validateConfig(input: Rec, env: NodeJS.ProcessEnv = process.env, sourceName?: string): Validation {
  const legacy = renameLegacy(dropNulls(input));
  const raw = legacy.raw;
  const first = configSchema.safeParse(raw);
  const unknown: PropertyKey[][] = [];
  const errors: SchemaIssue[] = [...legacy.errors];
  for (const issue of first.success ? [] : first.error.issues) {
    if (issue.code === "unrecognized_keys") for (const k of issue.keys) unknown.push([...issue.path, k]);
    else errors.push(legacy.back({ path: pathToString(issue.path), message: issue.message }));
  }
  // Unknown keys fail a strict parse but are only warnings: parse again without them.
  const known = without(raw, unknown);
  const cross = crossChecks(known, sourceName);
  errors.push(...cross.errors.map(legacy.back));
  const warnings = [...legacy.warnings, ...cross.warnings.map(legacy.back)];
  const result = { errors, warnings, unknownKeys: unknown.map(pathToString) };
  if (errors.length > 0) return result;
  const second = configSchema.safeParse(known);
  if (!second.success) {
    // Not expected: the first pass reported everything but unknown keys. Surface it rather than hide it.
    return { ...result, errors: second.error.issues.map((i) => ({ path: pathToString(i.path), message: i.message })) };
  }
  return { ...result, settings: toSettings(second.data, env), configVersion: second.data.configVersion ?? 0 };
}
