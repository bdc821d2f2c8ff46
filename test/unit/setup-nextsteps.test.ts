import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeLoadError } from "../../src/cli/loadConfig.ts";
import { closingSteps } from "../../src/cli/setup.ts";
import { ConfigError, loadConfigText } from "../../src/config/load.ts";
import { commandLine, exportLines, invocation, shellWord, unsetVariablesOf } from "../../src/setup/nextSteps.ts";

const dir = mkdtempSync(join(tmpdir(), "s3beat-nextsteps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A clone with bin/s3beat.js, and a PATH directory linking s3beat to it (like npm install -g).
const clone = join(dir, "clone");
const script = join(clone, "bin", "s3beat.js");
mkdirSync(join(clone, "bin"), { recursive: true });
writeFileSync(script, "#!/usr/bin/env node\n");
chmodSync(script, 0o755);
const binDir = join(dir, "path-bin");
mkdirSync(binDir);
symlinkSync(script, join(binDir, "s3beat"));

describe("invocation: the command spelt as the user started s3beat", () => {
  it("node bin/s3beat.js from inside the clone, the absolute path from elsewhere", () => {
    expect(invocation({ script, env: {}, cwd: clone })).toBe("node bin/s3beat.js");
    expect(invocation({ script, env: {}, cwd: dir })).toBe("node clone/bin/s3beat.js");
    expect(invocation({ script, env: {}, cwd: "/" + "elsewhere" })).toBe(`node ${script}`);
  });

  it("npx s3beat under npx / npm exec", () => {
    expect(invocation({ script, env: { npm_command: "exec" }, cwd: clone })).toBe("npx s3beat");
  });

  it("plain s3beat only when the first s3beat on PATH is this very script", () => {
    expect(invocation({ script, env: { PATH: `${binDir}:/usr/bin` }, cwd: clone })).toBe("s3beat");
    const other = join(dir, "other-bin");
    mkdirSync(other);
    writeFileSync(join(other, "s3beat"), "#!/bin/sh\n", { mode: 0o755 });
    expect(invocation({ script, env: { PATH: `${other}:${binDir}` }, cwd: clone })).toBe("node bin/s3beat.js");
  });

  it("quotes what the shell would split or expand", () => {
    expect(shellWord("s3beat.yml")).toBe("s3beat.yml");
    expect(shellWord("/etc/my conf/s3beat.yml")).toBe("'/etc/my conf/s3beat.yml'");
    expect(shellWord("it's$HOME")).toBe("'it'\\''s$HOME'");
    expect(commandLine(["run", "-c", "my file.yml"], { script, env: {}, cwd: clone })).toBe("node bin/s3beat.js run -c 'my file.yml'");
  });
});

const KEYS_FROM_ENV = [
  "s3beat:",
  '  sqsQueues: ["q:us-east-1"]',
  "  accessKeyID: ${S3BEAT_ACCESS_KEY_ID}",
  "  secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}   # not ${IN_A_COMMENT}",
  'output.file.path: "/tmp/$${LITERAL}"',
  "",
].join("\n");

describe("unset variables and export lines", () => {
  it("lists the file's ${VAR}s the environment does not set, not comments, escapes or set ones", () => {
    expect(unsetVariablesOf(KEYS_FROM_ENV, "s3beat.yml", {})).toEqual(["S3BEAT_ACCESS_KEY_ID", "S3BEAT_SECRET_ACCESS_KEY"]);
    expect(unsetVariablesOf(KEYS_FROM_ENV, "s3beat.yml", { S3BEAT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE" })).toEqual(["S3BEAT_SECRET_ACCESS_KEY"]);
    expect(exportLines(["A", "B"])).toEqual(["export A=...", "export B=..."]);
  });

  it("setup's closing steps: the export lines for unset variables, then validate, check and run", () => {
    expect(closingSteps("s3beat.yml", ["S3BEAT_SECRET_ACCESS_KEY"]).split("\n")).toEqual([
      "s3beat.yml reads S3BEAT_SECRET_ACCESS_KEY from the environment, not set here.",
      "Set it in the shell that starts s3beat (replace ... with the value), then run:",
      "  export S3BEAT_SECRET_ACCESS_KEY=...",
      expect.stringMatching(/^ {2}\S.* validate -c s3beat\.yml$/),
      expect.stringMatching(/^ {2}\S.* check -c s3beat\.yml$/),
      expect.stringMatching(/^ {2}\S.* run -c s3beat\.yml$/),
    ]);
    expect(closingSteps("s3beat.yml", [])).not.toContain("export");
  });

  const loadError = (text: string, env: NodeJS.ProcessEnv) => {
    try {
      loadConfigText(text, "s3beat.yml", env);
    } catch (e) {
      if (e instanceof ConfigError) return e;
    }
    throw new Error("expected a ConfigError");
  };

  it("a load that fails only on unset variables: the problems with their lines, the exports, the command again", () => {
    const text = describeLoadError(loadError(KEYS_FROM_ENV, {}), "s3beat.yml", ["run", "-c", "s3beat.yml"]);
    expect(text.split("\n")).toEqual([
      "s3beat: s3beat.yml reads environment variables that are not set:",
      expect.stringMatching(/^ {2}s3beat\.yml:3:\d+ s3beat\.accessKeyID: environment variable S3BEAT_ACCESS_KEY_ID is not set/),
      expect.stringMatching(/^ {2}s3beat\.yml:4:\d+ s3beat\.secretAccessKey: environment variable S3BEAT_SECRET_ACCESS_KEY is not set/),
      "Set them in the shell that starts s3beat (replace ... with the value), then run:",
      "  export S3BEAT_ACCESS_KEY_ID=...",
      "  export S3BEAT_SECRET_ACCESS_KEY=...",
      expect.stringMatching(/^ {2}\S.* run -c s3beat\.yml$/),
    ]);
  });

  it("other problems as well: all listed, the exports still given; none unset: no export line", () => {
    const mixed = describeLoadError(loadError(`${KEYS_FROM_ENV}s3beat.visibilityTimeout: soon\n`, {}), "s3beat.yml", ["check"]);
    expect(mixed).toMatch(/^s3beat: s3beat\.yml is not valid:\n/);
    expect(mixed).toContain("s3beat.visibilityTimeout");
    expect(mixed).toContain("  export S3BEAT_ACCESS_KEY_ID=...\n  export S3BEAT_SECRET_ACCESS_KEY=...\n");
    const plain = describeLoadError(loadError("s3beat: {}\n", {}), "s3beat.yml", ["run"]);
    expect(plain).toMatch(/^s3beat: s3beat\.yml is not valid:\n/);
    expect(plain).not.toContain("export");
  });
});
