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
    expect(run.stdout).toContain("renamed s3beat.assumeRoleArn to s3beat.roleArn (line 13), value and comments kept");
    expect(run.stdout).toContain("added s3beat.assumeRoleFlag: false after s3beat.secretAccessKey (line 11)");
    expect(run.stdout).toContain("added configVersion: 1 at the end of the file");
    // Encrypted secrets: the file did not load before and does not now; the user is told where to look.
    expect(run.stdout).toContain(`note: ${file} does not load yet (in this environment); s3beat validate -c ${file} says why`);
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
    for (const args of [["-c", file], ["-c", file, "--dry-run"]]) {
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
