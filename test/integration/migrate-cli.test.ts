/**
 * `s3beat migrate-config` as a child process, on real files: what it writes (the new file, the
 * backup, their modes), what it leaves byte-identical (second run, --dry-run, refusals), and exit codes.
 */
import { chmod, copyFile, lstat, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.ts";
import { spawnS3beat } from "../support/child.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/migrate/", import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

async function migrateConfig(...args: string[]) {
  const child = spawnS3beat(["migrate-config", ...args], { S3BEAT_FROM_SOURCE: "1" });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "s3beat-migrate-"));
  file = join(dir, "s3beat.yml");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Puts a fixture (or text) in place as FILE with `mode`, and returns its bytes. */
async function place(source: { fixture: string } | { text: string }, mode = 0o640): Promise<Buffer> {
  if ("fixture" in source) await copyFile(fixture(source.fixture), file);
  else await writeFile(file, source.text);
  await chmod(file, mode);
  return readFile(file);
}

describe("a pending migration", () => {
  it("writes the migrated file, keeps the original as FILE.bak-v0, both with the original mode", async () => {
    const original = await place({ fixture: "logrhythm-legacy.in.yml" }, 0o640);
    const run = await migrateConfig("-c", file);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);

    expect(await readFile(file)).toEqual(await readFile(fixture("logrhythm-legacy.expected.yml")));
    expect(await readFile(`${file}.bak-v0`)).toEqual(original);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect((await stat(`${file}.bak-v0`)).mode & 0o777).toBe(0o640);
    // The temp file was renamed over the original: nothing else is left in the directory.
    expect((await readdir(dir)).sort()).toEqual(["s3beat.yml", "s3beat.yml.bak-v0"]);

    expect(run.stdout).toContain(`migrated ${file} from version 0 to version 1 (the original is kept as ${file}.bak-v0):`);
    expect(run.stdout).toContain("\n     renamed assumeRoleArn → roleArn on line 13 (value and comments kept)\n");
    expect(run.stdout).toContain(
      '\n     added assumeRoleFlag: false, roleSessionName: s3beat, externalId: "", disableAuthRetry: false (after secretAccessKey on line 11)\n',
    );
    expect(run.stdout).toContain("\n  added configVersion: 1 at the end of the file\n");
    // Encrypted secrets: the user is told which keys, the option that replaces them and the variables to set.
    expect(run.stdout).toContain(
      "note: accessKeyID (line 10) and secretAccessKey (line 11) hold values encrypted by LogRhythm tooling, which s3beat cannot decrypt. To supply them from the environment, run:\n" +
        `  s3beat migrate-config -c ${file} --secrets-from-env\n` +
        "  It writes ${S3BEAT_ACCESS_KEY_ID} and ${S3BEAT_SECRET_ACCESS_KEY} in their place; then set S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY to the plain keys in s3beat's environment.\n",
    );
    expect(run.stdout).not.toContain("does not load yet");
    expect(run.stdout).not.toMatch(/Zm9vYmFy|c2VjcmV0/);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("Restart s3beat for the change to take effect.");
  });

  it("keeps a stricter mode (0600) too, and adds no note for a file that loads", async () => {
    await place({ fixture: "dotted.in.yml" }, 0o600);
    const run = await migrateConfig("-c", file);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("note:");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(`${file}.bak-v0`)).mode & 0o777).toBe(0o600);
  });

  it("then has nothing left to do: says so and leaves the file byte-identical, with no new backup", async () => {
    await place({ fixture: "crlf-env.in.yml" });
    expect((await migrateConfig("-c", file)).code).toBe(0);
    const migrated = await readFile(file);
    expect(migrated).toEqual(await readFile(fixture("crlf-env.expected.yml")));
    const mtime = (await stat(file)).mtimeMs;

    const again = await migrateConfig("-c", file);
    expect(again).toEqual({ code: 0, stdout: `nothing to migrate: ${file} is already at version 1\n`, stderr: "" });
    expect(await readFile(file)).toEqual(migrated);
    expect((await stat(file)).mtimeMs).toBe(mtime);
    expect((await readdir(dir)).sort()).toEqual(["s3beat.yml", "s3beat.yml.bak-v0"]);
  });

  it("produces a file the loader accepts, with the settings of the original", async () => {
    await place({ fixture: "dotted.in.yml" });
    const before = await loadConfigFile(file, {});
    expect((await migrateConfig("-c", file)).code).toBe(0);
    const after = await loadConfigFile(file, {});
    expect(after.configVersion).toBe(1);
    expect(after.settings).toEqual(before.settings);
    expect(after.warnings.map((w) => w.message)).not.toContainEqual(expect.stringMatching(/legacy name/));
  });

  it("never overwrites an older backup: the next one is FILE.bak-v0.1", async () => {
    const original = await place({ fixture: "partial.in.yml" });
    await writeFile(`${file}.bak-v0`, "an older backup\n");
    expect((await migrateConfig("-c", file)).code).toBe(0);
    expect(await readFile(`${file}.bak-v0`, "utf8")).toBe("an older backup\n");
    expect(await readFile(`${file}.bak-v0.1`)).toEqual(original);
    expect(await readFile(file)).toEqual(await readFile(fixture("partial.expected.yml")));
  });

  it("migrates the file a symlink points at, and the link stays a link", async () => {
    const target = join(dir, "real.yml");
    await copyFile(fixture("no-credentials.in.yml"), target);
    await symlink("real.yml", file);
    expect((await migrateConfig("-c", file)).code).toBe(0);
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readlink(file)).toBe("real.yml");
    expect(await readFile(target)).toEqual(await readFile(fixture("no-credentials.expected.yml")));
  });
});

describe("--dry-run", () => {
  it("prints a unified diff, writes nothing, and shows no secret from the file", async () => {
    const original = await place({ fixture: "logrhythm-legacy.in.yml" });
    const mtime = (await stat(file)).mtimeMs;
    const run = await migrateConfig("-c", file, "--dry-run");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`--- ${file}\tversion 0\n+++ ${file}\tversion 1\n@@ -`);
    expect(run.stdout).toContain("\n-  assumeRoleArn:                        # added by the 7.9 upgrade\n");
    expect(run.stdout).toContain("\n+  roleArn:                              # added by the 7.9 upgrade\n");
    expect(run.stdout).toMatch(/\n\+ {2}assumeRoleFlag: false +# true: use temporary/);
    expect(run.stdout).toContain("\n+configVersion: 1\n");
    expect(run.stdout).toContain(`dry run: nothing written. Without --dry-run, ${file} goes from version 0 to version 1.`);
    // The secretAccessKey line is diff context: its value is masked.
    expect(run.stdout).toContain('   secretAccessKey: "[REDACTED]"   # rotated 2023-04\n');
    expect(run.stdout).not.toContain("c2VjcmV0");

    expect(await readFile(file)).toEqual(original);
    expect((await stat(file)).mtimeMs).toBe(mtime);
    expect(await readdir(dir)).toEqual(["s3beat.yml"]);
  });
});

describe("refused files are left byte-identical (exit 2)", () => {
  it("a file that is not valid YAML, with its line and column", async () => {
    const original = await place({ text: 's3beat:\n  sqsQueues: ["q1:us-east-1"\n  awsFlag: false\noutput.console:\n' });
    const run = await migrateConfig("-c", file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(new RegExp(`^s3beat: cannot migrate ${file}; it is left as it is:\\n {2}${file}:\\d+:\\d+ `));
    expect(await readFile(file)).toEqual(original);
    expect(await readdir(dir)).toEqual(["s3beat.yml"]);
  });

  it("a file whose top level is not a mapping", async () => {
    const original = await place({ text: "# a list by mistake\n- s3beat:\n    awsFlag: false\n" });
    const run = await migrateConfig("-c", file);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:2:1 the top level must be a block mapping of keys (s3beat:, output.*, logging.*), found a list`);
    expect(await readFile(file)).toEqual(original);
    expect(await readdir(dir)).toEqual(["s3beat.yml"]);
  });

  it("a file with both a legacy name and its new name, even with --dry-run", async () => {
    const original = await place({ text: "s3beat:\n  awsFlag: true\n  roleArn: []\n  assumeRoleArn: []\noutput.console:\n" });
    for (const args of [
      ["-c", file],
      ["-c", file, "--dry-run"],
    ]) {
      const run = await migrateConfig(...args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(`${file}:4:3 s3beat.assumeRoleArn: is LogRhythm's older name of roleArn, which is also set (line 3)`);
    }
    expect(await readFile(file)).toEqual(original);
    expect(await readdir(dir)).toEqual(["s3beat.yml"]);
  });

  it("a file that does not exist", async () => {
    const run = await migrateConfig("-c", file);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`config file ${file} does not exist`);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("--secrets-from-env (LogRhythm-encrypted credentials)", () => {
  const OLD_VALUES = ["3||QUtJQUVYQU1QTEVFTkNSWVBURUQ=", "3||c2VjcmV0LWtleS1lbmNyeXB0ZWQtYnktdGhlLXRvb2w=", "QUtJQUVY", "c2VjcmV0LWtleS1lbmNyeXB0"];
  const leaked = (run: { stdout: string; stderr: string }) => OLD_VALUES.filter((v) => run.stdout.includes(v) || run.stderr.includes(v));

  it("replaces them with ${VAR} references, says what it did and which variables to set, and never prints the old values", async () => {
    const original = await place({ fixture: "logrhythm-encrypted.in.yml" }, 0o600);
    const run = await migrateConfig("-c", file, "--secrets-from-env");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await readFile(file)).toEqual(await readFile(fixture("logrhythm-encrypted.secrets-from-env.expected.yml")));
    expect(await readFile(`${file}.bak-v0`)).toEqual(original);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(run.stdout).toBe(
      [
        `migrated ${file} from version 0 to version 1 (the original is kept as ${file}.bak-v0):`,
        "  replaced encrypted accessKeyID with ${S3BEAT_ACCESS_KEY_ID} on line 15",
        "  replaced encrypted secretAccessKey with ${S3BEAT_SECRET_ACCESS_KEY} on line 16",
        "  1: STS AssumeRole settings",
        "     renamed assumeRoleArn → roleArn on line 18 (value and comments kept)",
        "     renamed stsCredsExpirationTime → sessionDuration on line 19 (value and comments kept)",
        '     updated the comment on line 17: dropped "(older key names)"',
        "     updated the comment on line 19: stsCredsExpirationTime → sessionDuration",
        '     added assumeRoleFlag: false, roleSessionName: s3beat, externalId: "", disableAuthRetry: false (after secretAccessKey on line 16)',
        "  added configVersion: 1 at the end of the file",
        `Set S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY to the plain keys in s3beat's environment. ${file}.bak-v0 still holds the encrypted values: delete it once s3beat runs.`,
        "Restart s3beat for the change to take effect.",
        "",
      ].join("\n"),
    );
    expect(leaked(run)).toEqual([]);

    // The file now loads once the variables are set.
    const loaded = await loadConfigFile(file, { S3BEAT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", S3BEAT_SECRET_ACCESS_KEY: "plain-secret-from-the-environment" });
    expect(loaded.settings.s3beat.secretAccessKey).toBe("plain-secret-from-the-environment");
  });

  it("with --dry-run shows the replacement in the diff, old values as [REDACTED], and writes nothing", async () => {
    const original = await place({ fixture: "logrhythm-encrypted.in.yml" });
    const run = await migrateConfig("-c", file, "--dry-run", "--secrets-from-env");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("\n-  accessKeyID: '[REDACTED]'   # encrypted by lrctl\n-  secretAccessKey: [REDACTED]  # rotated 2024-01\n");
    expect(run.stdout).toContain(
      "\n+  accessKeyID: '${S3BEAT_ACCESS_KEY_ID}'   # encrypted by lrctl\n+  secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}  # rotated 2024-01\n",
    );
    expect(run.stdout).toContain("\n+  # Cross-account access\n");
    expect(run.stdout).toContain(
      `dry run: nothing written. Without --dry-run, ${file} goes from version 0 to version 1.\n` +
        "Set S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY to the plain keys in s3beat's environment.\n",
    );
    expect(leaked(run)).toEqual([]);
    expect(await readFile(file)).toEqual(original);
    expect(await readdir(dir)).toEqual(["s3beat.yml"]);
  });

  it("works on a file already at the current version: only the secrets change, the version stays", async () => {
    await place({ fixture: "logrhythm-encrypted.expected.yml" });
    const without = await migrateConfig("-c", file);
    expect(without.code).toBe(0);
    expect(without.stdout).toBe(
      `nothing to migrate: ${file} is already at version 1\n` +
        "note: accessKeyID (line 15) and secretAccessKey (line 16) hold values encrypted by LogRhythm tooling, which s3beat cannot decrypt. To supply them from the environment, run:\n" +
        `  s3beat migrate-config -c ${file} --secrets-from-env\n` +
        "  It writes ${S3BEAT_ACCESS_KEY_ID} and ${S3BEAT_SECRET_ACCESS_KEY} in their place; then set S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY to the plain keys in s3beat's environment.\n",
    );

    const run = await migrateConfig("-c", file, "--secrets-from-env");
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n").slice(0, 3)).toEqual([
      `updated ${file}, which stays at version 1 (the original is kept as ${file}.bak-v1):`,
      "  replaced encrypted accessKeyID with ${S3BEAT_ACCESS_KEY_ID} on line 15",
      "  replaced encrypted secretAccessKey with ${S3BEAT_SECRET_ACCESS_KEY} on line 16",
    ]);
    expect(leaked(run)).toEqual([]);
    expect(await readFile(file)).toEqual(await readFile(fixture("logrhythm-encrypted.secrets-from-env.expected.yml")));
    expect(await migrateConfig("-c", file, "--secrets-from-env")).toEqual({
      code: 0,
      stdout: `nothing to migrate: ${file} is already at version 1\n`,
      stderr: "",
    });
  });
});
