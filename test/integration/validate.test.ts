import { chmod, copyFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeConfig } from "../support/aws.ts";
import { spawnS3beat } from "../support/child.ts";

async function validate(path: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawnS3beat(["validate", "-c", path], env);
  const { code } = await child.exited;
  return { code, out: child.stdout(), err: child.stderr() };
}

describe("s3beat validate (the real CLI)", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => dir?.remove());

  it("reports three different errors with their line numbers and key paths, and exits 2", async () => {
    const path = await writeConfig(
      dir.path,
      `s3beat:
  sqsQueues:
    - "no-region-here"
  decoder: xml
  accessKeyID: AKIAIOSFODNN7EXAMPLE
  secretAccessKey: "2||ZW5jcnlwdGVkLXNlY3JldC12YWx1ZQ=="
  sessionDuration: 10m
  unknownSetting: 1
output.console:
`,
      "three.yml",
    );
    const { code, out } = await validate(path);
    expect(code).toBe(2);
    const errors = out.split("\n").filter((l) => l.startsWith("error"));
    expect(errors).toEqual([
      expect.stringMatching(/^error +.*three\.yml:3:7 s3beat\.sqsQueues\[0\]: expected "name:region"/),
      expect.stringMatching(/^error +.*three\.yml:4:\d+ s3beat\.decoder: expected one of lines, ndjson, json/),
      expect.stringMatching(/^error +.*three\.yml:6:\d+ s3beat\.secretAccessKey: looks encrypted by LogRhythm tooling.*environment variable/),
      expect.stringMatching(/^error +.*three\.yml:7:\d+ s3beat\.sessionDuration: must be between 15m and 12h, got 10m/),
    ]);
    expect(out).toMatch(/^warning .*three\.yml:8:\d+ s3beat\.unknownSetting: unknown key/m);
    expect(out).toMatch(/INVALID, 4 errors/);
    // Secrets are never printed, not even the encrypted-looking one.
    expect(out).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(out).not.toContain("ZW5jcnlwdGVkLXNlY3JldC12YWx1ZQ");
  });

  it("says valid and exits 0 for the annotated example", async () => {
    const { code, out } = await validate("config/s3beat.example.yml", {
      S3BEAT_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00",
      S3BEAT_SECRET_ACCESS_KEY: "secret-from-env-0123456789",
    });
    expect(out).toMatch(/config\/s3beat\.example\.yml: valid/);
    expect(out).not.toContain("secret-from-env-0123456789");
    expect(code).toBe(0);
  });

  it("exits 2 with advice for a missing file", async () => {
    const { code, out } = await validate(`${dir.path}/missing.yml`);
    expect(code).toBe(2);
    expect(out).toMatch(/no such file\. Create it with: node bin\/s3beat\.js setup -c /);
  });
});

describe("s3beat validate on LogRhythm files, old files and readable files", () => {
  const FIXTURES = fileURLToPath(new URL("../fixtures/migrate/", import.meta.url));
  const ENV = { S3BEAT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", S3BEAT_SECRET_ACCESS_KEY: "plain-secret-from-the-environment" };
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => dir?.remove());

  const fromFixture = async (name: string, mode: number, as = name) => {
    const path = join(dir.path, as);
    await copyFile(join(FIXTURES, name), path);
    await chmod(path, mode);
    return path;
  };
  const warnings = (out: string) => out.split("\n").filter((l) => l.startsWith("warning"));

  it("reports libbeat's and LogRhythm's keys as not used by s3beat, never as possible typos", async () => {
    const path = await fromFixture("logrhythm-encrypted.secrets-from-env.expected.yml", 0o600, "lr.yml");
    const { code, out } = await validate(path, ENV);
    expect(code).toBe(0);
    const notUsed = warnings(out).filter((l) => l.includes("not used by s3beat"));
    expect(notUsed.map((l) => /lr\.yml:\d+:\d+ (\S+):/.exec(l)?.[1])).toEqual([
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
    expect(out).toContain(
      `warning ${path}:7:3 s3beat.period: not used by s3beat (a LogRhythm setting; kept, and ignored): s3beat is driven by SQS long polling (sqsWaitTime)\n`,
    );
    expect(out).toContain(`warning ${path}:37:1 queue: not used by s3beat (a libbeat setting; kept, and ignored): s3beat keeps no queue or spool of its own`);
    expect(out).not.toContain("check the spelling");
    expect(out).not.toContain("migrate-config"); // current version, and the secrets come from the environment
    expect(out).toMatch(new RegExp(`${path}: valid \\(${warnings(out).length} warnings\\)\\n$`));
  });

  it("keeps the typo warning for keys it does not know at all", async () => {
    const path = await writeConfig(
      dir.path,
      's3beat:\n  sqsQueues: ["q:us-east-1"]\n  heartbeatDisabled: true\noutput.console:\nconfigVersion: 1\n',
      "typo.yml",
    );
    const { code, out } = await validate(path);
    expect(code).toBe(0);
    expect(warnings(out)).toEqual([`warning ${path}:3:3 s3beat.heartbeatDisabled: unknown key (kept, but s3beat ignores it; check the spelling)`]);
  });

  it("on the unmigrated LogRhythm file: the encrypted keys with the fix, the not-used keys, the chmod and the migrate-config warnings", async () => {
    const path = await fromFixture("logrhythm-encrypted.in.yml", 0o640, "old-lr.yml");
    const { code, out } = await validate(path);
    expect(code).toBe(2);
    expect(out.split("\n").filter((l) => l.startsWith("error"))).toEqual([
      `error   ${path}:15:3 s3beat.accessKeyID: looks encrypted by LogRhythm tooling, which s3beat cannot decrypt: supply the plain value through an environment variable instead: write accessKeyID: \${S3BEAT_ACCESS_KEY_ID} (s3beat migrate-config -c ${path} --secrets-from-env does it) and set S3BEAT_ACCESS_KEY_ID to the plain access key ID`,
      `error   ${path}:16:3 s3beat.secretAccessKey: looks encrypted by LogRhythm tooling, which s3beat cannot decrypt: supply the plain value through an environment variable instead: write secretAccessKey: \${S3BEAT_SECRET_ACCESS_KEY} (s3beat migrate-config -c ${path} --secrets-from-env does it) and set S3BEAT_SECRET_ACCESS_KEY to the plain secret access key`,
    ]);
    expect(warnings(out).filter((l) => l.includes("not used by s3beat"))).toHaveLength(14);
    expect(out).not.toContain("check the spelling");
    expect(out).toContain(
      `warning ${path}:15:3 s3beat.accessKeyID: is a literal secret in this file (so is s3beat.secretAccessKey), and the file's mode 0640 lets its group or other users read it: chmod 600 ${path}`,
    );
    expect(out).toContain(
      `warning ${path} has no configVersion: it predates this s3beat's config version 1 and needs migrate-config: run node bin/s3beat.js migrate-config -c ${path}`,
    );
    expect(out).not.toMatch(/QUtJQUVY|c2VjcmV0LWtleS1lbmNyeXB0/);
  });

  it("warns that an old file needs migrate-config, naming the command, and still exits 0 when it is otherwise valid", async () => {
    const text = 's3beat:\n  sqsQueues: ["q:us-east-1"]\n  stsCredsExpirationTime: 2h\noutput.console:\n';
    const absent = await writeConfig(dir.path, text, "old.yml");
    const { code, out } = await validate(absent);
    expect(code).toBe(0);
    expect(out).toContain(
      `warning ${absent} has no configVersion: it predates this s3beat's config version 1 and needs migrate-config: run node bin/s3beat.js migrate-config -c ${absent} (until then the settings it adds take their defaults)\n`,
    );
    expect(out).toMatch(/: valid \(2 warnings\)\n$/); // the legacy name, and the version

    const zero = await writeConfig(dir.path, `${text}configVersion: 0\n`, "zero.yml");
    const again = await validate(zero);
    expect(again.code).toBe(0);
    expect(again.out).toContain(
      `warning ${zero}:5:1 configVersion: 0 predates this s3beat's config version 1; the file needs migrate-config: run node bin/s3beat.js migrate-config -c ${zero} (`,
    );

    const current = await writeConfig(dir.path, 's3beat:\n  sqsQueues: ["q:us-east-1"]\noutput.console:\nconfigVersion: 1\n', "current.yml");
    expect((await validate(current)).out).toBe(`${current}: valid\n`);
  });

  it("says chmod 600 FILE for a literal secret in a file others can read; not for 0600, nor for ${VAR} secrets", async () => {
    const literal =
      's3beat:\n  sqsQueues: ["q:us-east-1"]\n  accessKeyID: AKIAIOSFODNN7EXAMPLE\n  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\noutput.console:\nconfigVersion: 1\n';
    const open = await writeConfig(dir.path, literal, "open.yml");
    await chmod(open, 0o644);
    const warned = await validate(open);
    expect(warned.code).toBe(0);
    expect(warnings(warned.out)).toEqual([
      `warning ${open}:3:3 s3beat.accessKeyID: is a literal secret in this file (so is s3beat.secretAccessKey), and the file's mode 0644 lets its group or other users read it: chmod 600 ${open} (or keep the secrets in the environment: accessKeyID: \${S3BEAT_ACCESS_KEY_ID}, secretAccessKey: \${S3BEAT_SECRET_ACCESS_KEY})`,
    ]);
    expect(warned.out).not.toContain("wJalrXUtnFEMI");

    const closed = await writeConfig(dir.path, literal, "closed.yml"); // 0600
    expect(await validate(closed)).toEqual({ code: 0, out: `${closed}: valid\n`, err: "" });

    const refs = await writeConfig(
      dir.path,
      literal.replace("AKIAIOSFODNN7EXAMPLE", "${S3BEAT_ACCESS_KEY_ID}").replace('"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', "${S3BEAT_SECRET_ACCESS_KEY}"),
      "refs.yml",
    );
    await chmod(refs, 0o644);
    expect(await validate(refs, ENV)).toEqual({ code: 0, out: `${refs}: valid\n`, err: "" });
  });
});
