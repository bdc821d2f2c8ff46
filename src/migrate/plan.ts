/**
 * Applies the pending migrations to a config text, in memory: pure, so that `--dry-run`, the real
 * run and the tests all see exactly the same result. Writing it out is files.ts's job.
 */
import { MIGRATIONS } from "../../migrations/index.ts";
import { encryptedKeys, findEncryptedSecrets, replaceEncryptedSecrets, type EncryptedKey } from "./secrets.ts";
import { parseSource, type ParsedSource } from "./source.ts";
import { applyEdits } from "./text.ts";
import type { Migration, MigrationProblem } from "./types.ts";
import { readVersion, stampVersion } from "./version.ts";

/** One migration as applied: what the user is told about it. */
export interface AppliedStep {
  version: number;
  description: string;
  changes: string[];
}

export type MigrationPlan =
  /** The file cannot be migrated as it is: not YAML, not a mapping, a bad or too new configVersion. */
  | { status: "refused"; problems: MigrationProblem[] }
  /** Nothing pending. `encrypted`: credentials s3beat cannot decrypt (only when there are some). */
  | { status: "current"; version: number; encrypted?: EncryptedKey[] }
  /**
   * `text` is the migrated file. With `problems`, a migration would not decide something: write nothing.
   * `secrets`: what --secrets-from-env replaced; `encrypted`: the encrypted credentials left in `text`.
   * `stamp` is absent when no migration is pending (only secrets replaced: `from` = `to`).
   */
  | {
      status: "pending";
      from: number;
      to: number;
      text: string;
      steps: AppliedStep[];
      secrets: EncryptedKey[];
      encrypted: EncryptedKey[];
      problems: MigrationProblem[];
      stamp?: string;
    };

export interface PlanOptions {
  /** Replace LogRhythm-encrypted accessKeyID/secretAccessKey values with `${S3BEAT_ACCESS_KEY_ID}`/`${S3BEAT_SECRET_ACCESS_KEY}`. */
  secretsFromEnv?: boolean;
}

/** Throws unless versions run 1, 2, 3… in order: a gap or a swap would skip or repeat a migration. */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order: entry ${i + 1} has version ${m.version}`);
  });
}

/** A parse that must succeed: migrations and the version stamp only ever produce valid YAML. */
function reparse(text: string, after: string): ParsedSource {
  const parsed = parseSource(text);
  if (!parsed.ok) throw new Error(`bug: the text after ${after} is not valid YAML: ${parsed.problems[0]?.message}`);
  return parsed.source;
}

/** What migrate-config would do to `text`. Pure. */
export function planMigration(text: string, migrations: readonly Migration[] = MIGRATIONS, options: PlanOptions = {}): MigrationPlan {
  checkMigrationList(migrations);
  const parsed = parseSource(text);
  if (!parsed.ok) return { status: "refused", problems: parsed.problems };
  const read = readVersion(parsed.source);
  if ("problem" in read) return { status: "refused", problems: [read.problem] };
  const from = read.version;
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) {
    const message = `${from} is newer than this s3beat knows (${latest}): the file was migrated by a newer s3beat; use that one`;
    return { status: "refused", problems: [{ path: "configVersion", line: read.line, column: read.column, message }] };
  }
  const pending = migrations.filter((m) => m.version > from);

  let source = parsed.source;
  const encrypted = findEncryptedSecrets(source);
  // Not a versioned migration: an option, so a file already at the current version can have it too.
  const replaced = options.secretsFromEnv ? encrypted : [];
  if (pending.length === 0 && replaced.length === 0)
    return { status: "current", version: from, ...(encrypted.length > 0 && { encrypted: encryptedKeys(encrypted) }) };
  if (replaced.length > 0) source = reparse(applyEdits(source.text, replaceEncryptedSecrets(source, replaced)), "--secrets-from-env");

  const steps: AppliedStep[] = [];
  const problems: MigrationProblem[] = [];
  for (const m of pending) {
    const result = m.migrate({ doc: source.doc, text: source.text, comments: source.comments });
    steps.push({ version: m.version, description: m.description, changes: result.changes });
    problems.push(...result.problems);
    source = reparse(applyEdits(source.text, result.edits), `migration ${m.version}`);
  }
  const base = { status: "pending" as const, from, steps, secrets: encryptedKeys(replaced), problems };
  const to = pending.at(-1)?.version;
  // Lines of what is left encrypted are those of the new file: the one the user opens next.
  if (to === undefined) return { ...base, to: from, text: source.text, encrypted: encryptedKeys(findEncryptedSecrets(source)) };
  const migrated = reparse(applyEdits(source.text, [stampVersion(source, to)]), "the version stamp");
  const stamp = read.line === undefined ? `added configVersion: ${to} at the end of the file` : `configVersion: ${from} changed to ${to}`;
  return { ...base, to, text: migrated.text, encrypted: encryptedKeys(findEncryptedSecrets(migrated)), stamp };
}
