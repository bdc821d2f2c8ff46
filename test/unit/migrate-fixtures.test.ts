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
import { planMigration } from "../../src/migrate/plan.ts";

const DIR = fileURLToPath(new URL("../fixtures/migrate/", import.meta.url));
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

/** Lines migration 001 may rename (the legacy names) and lines it may add. */
const RENAMED = /^\s*(s3beat\.)?(assumeRoleArn|stsCredsExpirationTime)\s*:|^configVersion:/;
const ADDED = /^\s*(s3beat\.)?(assumeRoleFlag|roleArn|sessionDuration|roleSessionName|externalId|disableAuthRetry|configVersion): |^# Schema version of this file|^\r?\n?$/;

function migrated(input: string): string {
  const plan = planMigration(input);
  if (plan.status !== "pending") throw new Error(`expected pending migrations, got ${plan.status}`);
  expect(plan.problems).toEqual([]);
  return plan.text;
}

function loadOrError(text: string) {
  try {
    return { config: loadConfigText(text, "s3beat.yml", ENV) };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e };
    throw e;
  }
}

it("has the fixtures the migration must handle", () => {
  expect(NAMES).toEqual(["crlf-env", "dotted", "logrhythm-legacy", "no-credentials", "partial"]);
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
    expect(planMigration(expected)).toEqual({ status: "current", version: CURRENT_CONFIG_VERSION });
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
      '  secretAccessKey: "2||c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"   # rotated 2023-04\n' +
        "  assumeRoleFlag: false                 # true: use",
    );
    expect(out()).not.toMatch(/^ {2}roleArn: \[\]/m); // roleArn came from assumeRoleArn
  });
});
