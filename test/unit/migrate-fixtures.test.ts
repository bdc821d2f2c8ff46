/**
 * Each `test/fixtures/migrate/NAME.in.yml` is a realistic existing file; `NAME.expected.yml` is what
 * migrate-config must make of it, byte for byte. Beyond the exact match, the properties that make
 * the expected files right are checked too: untouched lines, line endings, idempotence, and that
 * the loader reads the same settings before and after.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { ConfigError, loadConfigText } from "../../src/config/load.ts";
import { planMigration, type MigrationPlan } from "../../src/migrate/plan.ts";
import { changeLines, encryptedNote, headerLine, secretsFollowUp } from "../../src/migrate/summary.ts";

const DIR = fileURLToPath(new URL("../fixtures/migrate/", import.meta.url));
// NAME.secrets-from-env.expected.yml, where present, is the result with --secrets-from-env.
const NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith(".in.yml"))
  .map((f) => f.slice(0, -".in.yml".length))
  .sort();
const read = (file: string): string => readFileSync(join(DIR, file), "utf8");

const ENV = { S3BEAT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", S3BEAT_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
/** Fixtures that are valid configs before the migration (the others fail to load, e.g. encrypted secrets). */
const LOADABLE = ["crlf-env", "dotted", "no-credentials", "partial"];

/** Lines with their line break kept, so that CR and a missing final newline count as differences. */
const lines = (text: string): string[] => text.match(/[^\n]*(\n|$)/g)!.filter((l, i, all) => l !== "" || i < all.length - 1);

/** Lines migration 001 may rename (the legacy names, and comments that name them) and lines it may add. */
const RENAMED = /^\s*(s3beat\.)?(assumeRoleArn|stsCredsExpirationTime)\s*:|^configVersion:|^\s*#.*(assumeRoleArn|stsCredsExpirationTime|\(older key names\))/;
const ADDED =
  /^\s*(s3beat\.)?(assumeRoleFlag|roleArn|sessionDuration|roleSessionName|externalId|disableAuthRetry|configVersion): |^# Schema version of this file|^\r?\n?$|^ {2}# Cross-account access\r?\n$/;

function pending(plan: MigrationPlan) {
  if (plan.status !== "pending") throw new Error(`expected pending migrations, got ${plan.status}`);
  expect(plan.problems).toEqual([]);
  return plan;
}
const migrated = (input: string): string => pending(planMigration(input)).text;

function loadOrError(text: string) {
  try {
    return { config: loadConfigText(text, "s3beat.yml", ENV) };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e };
    throw e;
  }
}

it("has the fixtures the migration must handle", () => {
  expect(NAMES).toEqual(["crlf-env", "dotted", "logrhythm-encrypted", "logrhythm-legacy", "no-credentials", "partial"]);
  for (const name of NAMES) expect(readdirSync(DIR)).toContain(`${name}.expected.yml`);
  expect(read("crlf-env.in.yml")).toMatch(/\r\n/);
  expect(read("crlf-env.in.yml").replaceAll("\r\n", "")).not.toMatch(/\n/);
  expect(read("partial.in.yml")).not.toMatch(/\n$/);
  expect(read("dotted.in.yml")).toMatch(/^s3beat\.assumeRoleArn:/m);
});

describe.each(NAMES)("%s", (name) => {
  const input = read(`${name}.in.yml`);
  const expected = read(`${name}.expected.yml`);

  it("migrates to the expected file, byte for byte", () => {
    expect(Buffer.from(migrated(input))).toEqual(readFileSync(join(DIR, `${name}.expected.yml`)));
  });

  it("keeps every other line unchanged and in order, and adds only the migrated keys", () => {
    const out = lines(migrated(input));
    const kept = lines(input).filter((l) => !RENAMED.test(l));
    let at = 0;
    const extra: string[] = [];
    for (const line of out) {
      if (at < kept.length && line === kept[at]) at++;
      else extra.push(line);
    }
    expect(kept.slice(at), "input lines missing from the output").toEqual([]);
    for (const line of extra) expect(line).toMatch(ADDED);
  });

  it("keeps the line endings and the final newline (or its absence)", () => {
    const out = migrated(input);
    const crlf = input.includes("\r\n");
    expect(out.includes("\r\n")).toBe(crlf);
    if (crlf) expect(out.replaceAll("\r\n", "")).not.toContain("\n");
    expect(out.endsWith("\n")).toBe(input.endsWith("\n"));
  });

  it("has nothing left to migrate afterwards", () => {
    expect(planMigration(expected)).toMatchObject({ status: "current", version: CURRENT_CONFIG_VERSION });
  });

  it("loads exactly as before (the legacy-name warnings aside), or fails exactly as before", () => {
    const before = loadOrError(input);
    const after = loadOrError(migrated(input));
    expect(before.config !== undefined).toBe(LOADABLE.includes(name));
    if (before.config) {
      expect(after.error?.message).toBeUndefined();
      expect(after.config!.settings).toEqual(before.config.settings);
      expect(after.config!.configVersion).toBe(CURRENT_CONFIG_VERSION);
      expect(before.config.configVersion).toBe(0);
      expect(after.config!.warnings.map((w) => w.message)).not.toContainEqual(expect.stringMatching(/^legacy name/));
    } else {
      const messages = (e: ConfigError | undefined) => e!.problems.map((p) => `${p.path}: ${p.message}`);
      expect(messages(after.error)).toEqual(messages(before.error));
    }
  });
});

describe("the LogRhythm file", () => {
  const out = () => migrated(read("logrhythm-legacy.in.yml"));

  it("keeps the encrypted-looking secrets as they are", () => {
    expect(out()).toContain('  accessKeyID: "2||Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="\n');
    expect(out()).toContain('  secretAccessKey: "2||c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"   # rotated 2023-04\n');
  });

  it("renames the legacy keys in place, keeping values, comments and the comment column", () => {
    expect(out()).toContain(
      "  # Cross-account roles, one per queue (Account A production)\n" +
        "  roleArn:                              # added by the 7.9 upgrade\n" +
        '    - "arn:aws:iam::111122223333:role/lr-s3beat-cloudtrail"\n',
    );
    expect(out()).toContain("  sessionDuration: 2h                   # STS session lifetime\n");
    expect(out()).not.toMatch(/assumeRoleArn|stsCredsExpirationTime/);
  });

  it("adds the missing settings right after secretAccessKey, aligned with the section's comments", () => {
    expect(out()).toContain(
      '  secretAccessKey: "2||c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"   # rotated 2023-04\n' + "  assumeRoleFlag: false                 # true: use",
    );
    expect(out()).not.toMatch(/^ {2}roleArn: \[\]/m); // roleArn came from assumeRoleArn
  });
});

describe("the LogRhythm file with encrypted secrets and LogRhythm-only keys", () => {
  const input = read("logrhythm-encrypted.in.yml");
  const withFlag = () => pending(planMigration(input, undefined, { secretsFromEnv: true }));
  const OLD_VALUES = ["3||QUtJQUVYQU1QTEVFTkNSWVBURUQ=", "3||c2VjcmV0LWtleS1lbmNyeXB0ZWQtYnktdGhlLXRvb2w=", "QUtJQUVY", "c2VjcmV0"];

  it("without --secrets-from-env: keeps the encrypted values and says exactly what changed, and what to run", () => {
    const plan = pending(planMigration(input));
    expect(headerLine(plan, "s3beat.yml", "s3beat.yml.bak-v0")).toBe(
      "migrated s3beat.yml from version 0 to version 1 (the original is kept as s3beat.yml.bak-v0):",
    );
    expect(changeLines(plan)).toEqual([
      "  1: STS AssumeRole settings",
      "     renamed assumeRoleArn → roleArn on line 18 (value and comments kept)",
      "     renamed stsCredsExpirationTime → sessionDuration on line 19 (value and comments kept)",
      '     updated the comment on line 17: dropped "(older key names)"',
      "     updated the comment on line 19: stsCredsExpirationTime → sessionDuration",
      '     added assumeRoleFlag: false, roleSessionName: s3beat, externalId: "", disableAuthRetry: false (after secretAccessKey on line 16)',
      "  added configVersion: 1 at the end of the file",
    ]);
    expect(secretsFollowUp(plan.secrets, "s3beat.yml.bak-v0")).toEqual([]);
    expect(encryptedNote(plan.encrypted, "s3beat.yml")).toEqual([
      "note: accessKeyID (line 15) and secretAccessKey (line 16) hold values encrypted by LogRhythm tooling, which s3beat cannot decrypt. To supply them from the environment, run:",
      "  s3beat migrate-config -c s3beat.yml --secrets-from-env",
      "  It writes ${S3BEAT_ACCESS_KEY_ID} and ${S3BEAT_SECRET_ACCESS_KEY} in their place; then set S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY to the plain keys in s3beat's environment.",
    ]);
  });

  it("with --secrets-from-env: migrates to the expected file, byte for byte, the secrets replaced in their own quoting", () => {
    const out = withFlag().text;
    expect(Buffer.from(out)).toEqual(readFileSync(join(DIR, "logrhythm-encrypted.secrets-from-env.expected.yml")));
    expect(out).toContain("\n  accessKeyID: '${S3BEAT_ACCESS_KEY_ID}'   # encrypted by lrctl\n");
    expect(out).toContain("\n  secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}  # rotated 2024-01\n");
    // Only the two secret lines differ from the migration without the option.
    const without = lines(read("logrhythm-encrypted.expected.yml"));
    const diff = lines(out).flatMap((l, i) => (l === without[i] ? [] : [i + 1]));
    expect(diff).toEqual([15, 16]);
  });

  it("with --secrets-from-env: the summary names each replaced key and variable, and the variables to set", () => {
    const plan = withFlag();
    expect(changeLines(plan)).toEqual([
      "  replaced encrypted accessKeyID with ${S3BEAT_ACCESS_KEY_ID} on line 15",
      "  replaced encrypted secretAccessKey with ${S3BEAT_SECRET_ACCESS_KEY} on line 16",
      "  1: STS AssumeRole settings",
      "     renamed assumeRoleArn → roleArn on line 18 (value and comments kept)",
      "     renamed stsCredsExpirationTime → sessionDuration on line 19 (value and comments kept)",
      '     updated the comment on line 17: dropped "(older key names)"',
      "     updated the comment on line 19: stsCredsExpirationTime → sessionDuration",
      '     added assumeRoleFlag: false, roleSessionName: s3beat, externalId: "", disableAuthRetry: false (after secretAccessKey on line 16)',
      "  added configVersion: 1 at the end of the file",
    ]);
    expect(secretsFollowUp(plan.secrets, "s3beat.yml.bak-v0")).toEqual([
      "Set S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY to the plain keys in s3beat's environment. s3beat.yml.bak-v0 still holds the encrypted values: delete it once s3beat runs.",
    ]);
    expect(plan.encrypted).toEqual([]);
    const told = [...changeLines(plan), ...secretsFollowUp(plan.secrets, "b"), JSON.stringify(plan.secrets)].join("\n");
    for (const v of OLD_VALUES) expect(told).not.toContain(v);
    for (const v of OLD_VALUES) expect(plan.text).not.toContain(v);
  });

  it("with --secrets-from-env on the already migrated file: only the secrets change, the version stays", () => {
    const plan = pending(planMigration(read("logrhythm-encrypted.expected.yml"), undefined, { secretsFromEnv: true }));
    expect(plan.text).toBe(read("logrhythm-encrypted.secrets-from-env.expected.yml"));
    expect([plan.from, plan.to, plan.steps, plan.stamp]).toEqual([1, 1, [], undefined]);
    expect(headerLine(plan, "s3beat.yml", "s3beat.yml.bak-v1")).toBe(
      "updated s3beat.yml, which stays at version 1 (the original is kept as s3beat.yml.bak-v1):",
    );
    expect(changeLines(plan)).toEqual([
      "  replaced encrypted accessKeyID with ${S3BEAT_ACCESS_KEY_ID} on line 15",
      "  replaced encrypted secretAccessKey with ${S3BEAT_SECRET_ACCESS_KEY} on line 16",
    ]);
    // And then there is nothing left, with or without the option.
    for (const options of [{}, { secretsFromEnv: true }]) {
      expect(planMigration(plan.text, undefined, options)).toEqual({ status: "current", version: CURRENT_CONFIG_VERSION });
    }
  });

  it("the file it writes with --secrets-from-env loads once the variables are set, LogRhythm's keys reported as not used", () => {
    const { config } = loadOrError(withFlag().text);
    expect(config!.settings.s3beat).toMatchObject({
      accessKeyId: ENV.S3BEAT_ACCESS_KEY_ID,
      secretAccessKey: ENV.S3BEAT_SECRET_ACCESS_KEY,
      roleArns: ["arn:aws:iam::111122223333:role/lr-s3beat-cloudtrail"],
      sessionDurationSeconds: 5400,
    });
    const notUsed = config!.warnings.filter((w) => w.message.startsWith("not used by s3beat")).map((w) => w.path);
    expect(notUsed).toEqual([
      "s3beat.period",
      "s3beat.logsource_name",
      "s3beat.traits",
      "name",
      "tags",
      "fields",
      "fields_under_root",
      "max_procs",
      "processors",
      "queue",
      "setup",
      "monitoring",
      "path",
      "logging.to_files",
    ]);
    expect(config!.warnings.filter((w) => /check the spelling/.test(w.message))).toEqual([]);
  });
});
