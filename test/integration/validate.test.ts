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
    const { code, out } = await validate("config/s3beat.example.yml", { S3BEAT_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00", S3BEAT_SECRET_ACCESS_KEY: "secret-from-env-0123456789" });
    expect(out).toMatch(/config\/s3beat\.example\.yml: valid/);
    expect(out).not.toContain("secret-from-env-0123456789");
    expect(code).toBe(0);
  });

  it("exits 2 with advice for a missing file", async () => {
    const { code, out } = await validate(`${dir.path}/missing.yml`);
    expect(code).toBe(2);
    expect(out).toMatch(/no such file\. Create it with: s3beat setup -c /);
  });
});
