/**
 * What migrate-config tells the user: exactly what changed in this file (nothing it did not do),
 * and what is left for them to do. Pure text, so the tests can check it line by line.
 */
import { shellWord } from "../config/permissions.ts";
import type { MigrationPlan } from "./plan.ts";
import type { EncryptedKey } from "./secrets.ts";

type PendingPlan = Extract<MigrationPlan, { status: "pending" }>;

const list = (items: readonly string[]): string => (items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

/** One line per change, indented under the header: replaced secrets, each migration's changes, the version stamp. */
export function changeLines(plan: PendingPlan): string[] {
  const lines = plan.secrets.map((s) => `  replaced encrypted ${s.written} with \${${s.variable}} on line ${s.line}`);
  for (const step of plan.steps) {
    const changes = step.changes.length > 0 ? step.changes : ["nothing to change: the file already has these settings"];
    lines.push(`  ${step.version}: ${step.description}`, ...changes.map((c) => `     ${c}`));
  }
  if (plan.stamp !== undefined) lines.push(`  ${plan.stamp}`);
  return lines;
}

/** The first line of the report of a written migration. */
export function headerLine(plan: PendingPlan, path: string, backup: string): string {
  return plan.to === plan.from
    ? `updated ${path}, which stays at version ${plan.to} (the original is kept as ${backup}):`
    : `migrated ${path} from version ${plan.from} to version ${plan.to} (the original is kept as ${backup}):`;
}

/** After --secrets-from-env: the variables to set (and, once written, the backup that still holds the old values). */
export function secretsFollowUp(replaced: readonly EncryptedKey[], backup?: string): string[] {
  if (replaced.length === 0) return [];
  const variables = list(replaced.map((s) => s.variable));
  const keep = backup === undefined ? "" : ` ${backup} still holds the encrypted values: delete it once s3beat runs.`;
  return [`Set ${variables} to the plain ${replaced.length > 1 ? "keys" : "key"} in s3beat's environment.${keep}`];
}

/** Without --secrets-from-env: which keys hold encrypted values, the command that replaces them, the variables to set. */
export function encryptedNote(encrypted: readonly EncryptedKey[], path: string): string[] {
  if (encrypted.length === 0) return [];
  const keys = list(encrypted.map((s) => `${s.written} (line ${s.line})`));
  const refs = list(encrypted.map((s) => `\${${s.variable}}`));
  const variables = list(encrypted.map((s) => s.variable));
  return [
    `note: ${keys} ${encrypted.length > 1 ? "hold values" : "holds a value"} encrypted by LogRhythm tooling, which s3beat cannot decrypt. To supply ${encrypted.length > 1 ? "them" : "it"} from the environment, run:`,
    `  s3beat migrate-config -c ${shellWord(path)} --secrets-from-env`,
    `  It writes ${refs} in ${encrypted.length > 1 ? "their place" : "its place"}; then set ${variables} to the plain ${encrypted.length > 1 ? "keys" : "key"} in s3beat's environment.`,
  ];
}
