/**
 * `s3beat migrate-config [-c FILE] [--dry-run] [--secrets-from-env]`: applies the pending migrations
 * of `migrations/` to the config file (and, with --secrets-from-env, replaces LogRhythm-encrypted
 * credentials with `${VAR}` references). The file is either left byte-identical (nothing pending,
 * refused, dry run) or replaced atomically after a backup of the original. No secret value of the
 * file is ever printed: the diff shows them as [REDACTED].
 */
import { readFile, realpath, stat } from "node:fs/promises";
import { createTwoFilesPatch } from "diff";
import { formatProblem, loadConfigText } from "../config/load.ts";
import { registerSecret, scrubSecrets } from "../logging/redact.ts";
import { findBeatSettings } from "../config/beatSettings.ts";
import { replaceAtomically, writeBackup } from "../migrate/files.ts";
import { planMigration } from "../migrate/plan.ts";
import { maskSecrets } from "../migrate/secrets.ts";
import { parseSource } from "../migrate/source.ts";
import { changeLines, encryptedNote, headerLine, secretsFollowUp } from "../migrate/summary.ts";
import type { MigrationProblem } from "../migrate/types.ts";
import { EXIT } from "./exit.ts";
import { printError } from "./loadConfig.ts";
import { commandLine } from "../setup/nextSteps.ts";

/** The command line options of migrate-config. */
export interface MigrateOptions {
  /** Print the change as a unified diff and write nothing. */
  dryRun: boolean;
  /** Replace LogRhythm-encrypted accessKeyID/secretAccessKey values with `${S3BEAT_ACCESS_KEY_ID}`/`${S3BEAT_SECRET_ACCESS_KEY}`. */
  secretsFromEnv?: boolean;
}

const listed = (problems: MigrationProblem[], path: string) => problems.map((p) => `  ${formatProblem(p, path)}`).join("\n");
const print = (lines: readonly string[]) => process.stdout.write(scrubSecrets(`${lines.join("\n")}\n`));

/** Runs the command; returns the exit code (0 done or nothing to do, 1 I/O failure, 2 refused). */
export async function migrateConfigCommand(path: string, opts: MigrateOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") {
      printError(`s3beat: config file ${path} does not exist: nothing to migrate (create one with: ${commandLine(["setup", "-c", path])})`);
      return EXIT.usage;
    }
    printError(`s3beat: cannot read ${path}: ${err.message}`);
    return EXIT.failure;
  }
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) {
    printError(`s3beat: cannot migrate ${path}: it is not UTF-8 text; it is left as it is`);
    return EXIT.usage;
  }
  protectSecrets(text);

  const plan = planMigration(text, undefined, { secretsFromEnv: opts.secretsFromEnv === true });
  if (plan.status === "refused") {
    printError(`s3beat: cannot migrate ${path}; it is left as it is:\n${listed(plan.problems, path)}`);
    return EXIT.usage;
  }
  if (plan.status === "current") {
    print([`nothing to migrate: ${path} is already at version ${plan.version}`, ...encryptedNote(plan.encrypted ?? [], path)]);
    return EXIT.ok;
  }
  if (plan.problems.length > 0) {
    printError(
      `s3beat: cannot migrate ${path} from version ${plan.from} to version ${plan.to} without a decision of yours; it is left as it is:\n` +
        listed(plan.problems, path),
    );
    return EXIT.usage;
  }
  // A safety net for the migrations themselves: never turn a file that loads into one that does not.
  const loads = (t: string, withEnv: NodeJS.ProcessEnv = env) => {
    try {
      loadConfigText(t, path, withEnv);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };
  const before = loads(text);
  const after = loads(plan.text);
  if (before === undefined && after !== undefined) {
    printError(`s3beat: bug: ${path} loads now but would not after the migration; nothing written.\n${after}`);
    return EXIT.failure;
  }
  // Variables --secrets-from-env just introduced are the user's next step, not a reason for the note below.
  const introduced = Object.fromEntries(plan.secrets.filter((s) => !env[s.variable]).map((s) => [s.variable, "set-later"]));
  const loadsOnceSet = loads(plan.text, { ...env, ...introduced }) === undefined;
  // E.g. a ${VAR} this shell does not set: not the migration's business, but worth a word. Encrypted
  // values have a note of their own.
  const notes = [
    ...encryptedNote(plan.encrypted, path),
    ...(!loadsOnceSet && plan.encrypted.length === 0
      ? [`note: ${path} does not load yet (in this environment); ${commandLine(["validate", "-c", path])} says why`]
      : []),
  ];

  if (opts.dryRun) {
    // Every secret value of both versions is masked before the diff is made: the diff shows which
    // lines change, never what they held (registered values are scrubbed as well, belt and braces).
    const patch = createTwoFilesPatch(path, path, maskSecrets(text), maskSecrets(plan.text), `version ${plan.from}`, `version ${plan.to}`);
    process.stdout.write(scrubSecrets(patch));
    const outcome =
      plan.to === plan.from
        ? `${path} gets the changes above (it stays at version ${plan.to})`
        : `${path} goes from version ${plan.from} to version ${plan.to}`;
    print([`dry run: nothing written. Without --dry-run, ${outcome}.`, ...secretsFollowUp(plan.secrets), ...notes]);
    return EXIT.ok;
  }

  let backup: string;
  try {
    // Through a symlink, the file it points at is replaced (the link stays a link).
    const target = await realpath(path);
    const stats = await stat(target);
    backup = await writeBackup(path, bytes, plan.from, stats);
    await replaceAtomically(target, plan.text, stats);
  } catch (e) {
    printError(`s3beat: cannot write ${path}: ${(e as Error).message}`);
    return EXIT.failure;
  }
  print([
    headerLine(plan, path, backup),
    ...changeLines(plan),
    ...secretsFollowUp(plan.secrets, backup),
    ...notes,
    "Restart s3beat for the change to take effect.",
  ]);
  return EXIT.ok;
}

/** Registers the credential values written in the file itself, so that anything printed shows them as [REDACTED]. */
function protectSecrets(text: string): void {
  const parsed = parseSource(text);
  if (!parsed.ok) return;
  for (const s of findBeatSettings(parsed.source.top).settings) {
    const value = s.pair.value as { value?: unknown } | null;
    if (["accessKeyID", "secretAccessKey", "externalId"].includes(s.name) && typeof value?.value === "string" && !value.value.includes("${")) {
      registerSecret(value.value);
    }
  }
}
