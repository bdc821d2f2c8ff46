/**
 * What the loader knows of migrations: the top-level `configVersion`, and LogRhythm's legacy names
 * read as aliases (with a warning) so that an unmigrated file still runs.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { ConfigError, loadConfigFile, loadConfigText } from "../../src/config/load.ts";
import type { LoadedConfig } from "../../src/config/load.ts";

const ROLE = "arn:aws:iam::111122223333:role/reader";
const BASE = `s3beat:\n  sqsQueues: ["q1:us-east-1"]\n  awsFlag: true\n`;
const TAIL = "output.console:\n";

const load = (text: string): LoadedConfig => loadConfigText(text, "s3beat.yml", {});
function problems(text: string): string[] {
  try {
    load(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error("expected a ConfigError, but the config loaded");
}
const warnings = (c: LoadedConfig) => c.warnings.map((w) => `${w.line} ${w.path}: ${w.message}`);

describe("configVersion", () => {
  it("is 0 when absent and exposed when present, without an unknown-key warning", () => {
    expect(load(BASE + TAIL).configVersion).toBe(0);
    const c = load(`${BASE}${TAIL}configVersion: 1\n`);
    expect(c.configVersion).toBe(1);
    expect(c.warnings).toEqual([]);
  });

  it("takes ${VAR}-style text too, and an empty value as absent", () => {
    expect(load(`${BASE}${TAIL}configVersion: "3"\n`).configVersion).toBe(3);
    expect(load(`${BASE}${TAIL}configVersion:\n`).configVersion).toBe(0);
  });

  it.each(["-1", "1.5", "one", "[1]"])("refuses %s", (v) => {
    expect(problems(`${BASE}${TAIL}configVersion: ${v}\n`)).toEqual([expect.stringMatching(/^5 configVersion: (expected a whole number|must be 0 or more)/)]);
  });

  it("the current version of migrations/ is 1", () => {
    expect(CURRENT_CONFIG_VERSION).toBe(1);
  });
});

describe("legacy names", () => {
  it("reads assumeRoleArn as roleArn, with a warning at its line", () => {
    const c = load(`${BASE}  assumeRoleFlag: true\n  assumeRoleArn: ["${ROLE}"]\n${TAIL}`);
    expect(c.settings.s3beat.roleArns).toEqual([ROLE]);
    expect(warnings(c)).toEqual(["5 s3beat.assumeRoleArn: legacy name: run s3beat migrate-config (it renames assumeRoleArn to roleArn)"]);
  });

  it("reads stsCredsExpirationTime as sessionDuration, in the dotted form too", () => {
    const c = load(`${BASE}${TAIL}s3beat.stsCredsExpirationTime: 2h\n`);
    expect(c.settings.s3beat.sessionDurationSeconds).toBe(7200);
    expect(warnings(c)).toEqual([expect.stringMatching(/^5 s3beat\.stsCredsExpirationTime: legacy name: run s3beat migrate-config/)]);
  });

  it("reports a bad value under the legacy key the file has, at its line", () => {
    expect(problems(`${BASE}  stsCredsExpirationTime: 5m\n  assumeRoleArn: [nope]\n${TAIL}`)).toEqual([
      expect.stringMatching(/^4 s3beat\.stsCredsExpirationTime: must be between 15m and 12h/),
      expect.stringMatching(/^5 s3beat\.assumeRoleArn\[0\]: expected a role ARN/),
    ]);
  });

  it("refuses both names at once", () => {
    expect(problems(`${BASE}  roleArn: []\n  assumeRoleArn: []\n  sessionDuration: 1h\n  stsCredsExpirationTime: 1h\n${TAIL}`)).toEqual([
      "5 s3beat.assumeRoleArn: legacy name of roleArn, which is also set: remove one of them",
      "7 s3beat.stsCredsExpirationTime: legacy name of sessionDuration, which is also set: remove one of them",
    ]);
  });
});

describe("a file read from disk (what run logs at start, and validate prints)", () => {
  const withFile = async (text: string, mode: number, fn: (path: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), "s3beat-perm-"));
    try {
      const path = join(dir, "s3beat.yml");
      await writeFile(path, text);
      await chmod(path, mode);
      await fn(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const LITERAL = `${BASE.replace("awsFlag: true", "accessKeyID: AKIAIOSFODNN7EXAMPLE\n  secretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")}${TAIL}configVersion: 1\n`;

  it("warns with chmod 600 FILE when it holds a literal secret and its group or others may read it", async () => {
    await withFile(LITERAL, 0o640, async (path) => {
      const c = await loadConfigFile(path, {});
      expect(warnings(c)).toEqual([
        `3 s3beat.accessKeyID: is a literal secret in this file (so is s3beat.secretAccessKey), and the file's mode 0640 lets its group or other users read it: chmod 600 ${path} (or keep the secrets in the environment: accessKeyID: \${S3BEAT_ACCESS_KEY_ID}, secretAccessKey: \${S3BEAT_SECRET_ACCESS_KEY})`,
      ]);
    });
    await withFile(LITERAL, 0o600, async (path) => expect((await loadConfigFile(path, {})).warnings).toEqual([]));
    // loadConfigText knows no file, so no mode: no warning.
    expect(load(LITERAL).warnings).toEqual([]);
  });

  it("carries the warning on a ConfigError too (an encrypted secret is still a secret)", async () => {
    await withFile(
      `${BASE.replace("awsFlag: true", 'awsFlag: false\n  accessKeyID: "2||QUtJQQ=="\n  secretAccessKey: "2||c2VjcmV0"')}${TAIL}`,
      0o644,
      async (path) => {
        const err = await loadConfigFile(path, {}).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).warnings.map((w) => w.message)).toContainEqual(
          expect.stringContaining(`mode 0644 lets its group or other users read it: chmod 600 ${path}`),
        );
        expect((err as ConfigError).problems.map((p) => p.message)).toEqual([
          expect.stringContaining(`(s3beat migrate-config -c ${path} --secrets-from-env does it) and set S3BEAT_ACCESS_KEY_ID to the plain access key ID`),
          expect.stringContaining(
            `(s3beat migrate-config -c ${path} --secrets-from-env does it) and set S3BEAT_SECRET_ACCESS_KEY to the plain secret access key`,
          ),
        ]);
      },
    );
  });
});
