/**
 * `s3beat migrate-config [-c FILE] [--dry-run]`: applies the pending migrations of `migrations/` to
 * the config file. The file is either left byte-identical (nothing pending, refused, dry run) or
 * replaced atomically after a backup of the original.
 */
import { readFile, realpath, stat } from "node:fs/promises";
import { createTwoFilesPatch } from "diff";
import { formatProblem, loadConfigText } from "../config/load.ts";
import { registerSecret, scrubSecrets } from "../logging/redact.ts";
import { findBeatSettings } from "../migrate/beatSettings.ts";
import { replaceAtomically, writeBackup } from "../migrate/files.ts";
import { planMigration } from "../migrate/plan.ts";
import { parseSource } from "../migrate/source.ts";
import type { MigrationProblem } from "../migrate/types.ts";
import { EXIT } from "./exit.ts";
import { printError } from "./loadConfig.ts";

/** The command line options of migrate-config. */
export interface MigrateOptions {
  /** Print the change as a unified diff and write nothing. */
  dryRun: boolean;
}

const listed = (problems: MigrationProblem[], path: string) => problems.map((p) => `  ${formatProblem(p, path)}`).join("\n");

/** Runs the command; returns the exit code (0 done or nothing to do, 1 I/O failure, 2 refused). */
export async function migrateConfigCommand(path: string, opts: MigrateOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") {
      printError(`s3beat: config file ${path} does not exist: nothing to migrate (create one with: s3beat setup -c ${path})`);
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

  const plan = planMigration(text);
  if (plan.status === "refused") {
    printError(`s3beat: cannot migrate ${path}; it is left as it is:\n${listed(plan.problems, path)}`);
    return EXIT.usage;
  }
  if (plan.status === "current") {
    process.stdout.write(`nothing to migrate: ${path} is already at version ${plan.version}\n`);
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
  const loads = (t: string) => {
    try {
      loadConfigText(t, path, env);
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

  if (opts.dryRun) {
    protectSecrets(text);
    const patch = createTwoFilesPatch(path, path, text, plan.text, `version ${plan.from}`, `version ${plan.to}`);
    process.stdout.write(scrubSecrets(patch));
    process.stdout.write(`dry run: nothing written. Without --dry-run, ${path} goes from version ${plan.from} to version ${plan.to}.\n`);
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
  const lines = [`migrated ${path} from version ${plan.from} to version ${plan.to} (the original is kept as ${backup}):`];
  for (const step of plan.steps) {
    const changes = step.changes.length > 0 ? step.changes : ["nothing to change: the file already has these settings"];
    lines.push(`  ${step.version}: ${step.description}`, ...changes.map((c) => `     ${c}`));
  }
  lines.push(`  ${plan.stamp}`);
  // E.g. an encrypted secret, or a ${VAR} this shell does not set: not the migration's business, but worth a word.
  if (after !== undefined) lines.push(`note: ${path} does not load yet (in this environment); s3beat validate -c ${path} says why`);
  lines.push("Restart s3beat for the change to take effect.");
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

/** Registers the credential values written in the file itself, so a diff shows them as [REDACTED]. */
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
