import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigText, type LoadedConfig } from "../../src/config/load.ts";
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { queueRegion } from "../../src/config/queueEntry.ts";
import { renderConfig } from "../../src/setup/render.ts";
import type { Answers } from "../../src/setup/answers.ts";

const ENV = { S3BEAT_ACCESS_KEY_ID: "AKIAENVIRONMENT00001", S3BEAT_SECRET_ACCESS_KEY: "secret-from-the-environment" };
const ARN = "arn:aws:iam::123456789012:role/s3beat-reader";

const base: Answers = {
  sqsQueues: ["prod-events:eu-west-1"],
  awsFlag: false,
  accessKeyID: "",
  secretAccessKey: "",
  assumeRoleFlag: false,
  roleArn: [],
  externalId: "",
  roleSessionName: "s3beat",
  sessionDuration: "1h",
  output: "console",
  outputPath: "",
  outputHosts: [],
  sslEnabled: false,
  sslCa: "",
  sslVerificationMode: "full",
};

const load = (a: Answers, env: NodeJS.ProcessEnv = ENV): LoadedConfig => loadConfigText(renderConfig(a), "s3beat.yml", env);
const warnings = (l: LoadedConfig) => l.warnings.map((w) => `${w.path}: ${w.message}`);

describe("renderConfig output loads with loadConfigText", () => {
  it("access keys from the environment, no role, console", () => {
    const l = load(base);
    expect(warnings(l)).toEqual([]);
    expect(l.settings.s3beat).toMatchObject({
      sqsQueues: ["prod-events:eu-west-1"],
      region: "eu-west-1",
      awsFlag: false,
      accessKeyId: ENV.S3BEAT_ACCESS_KEY_ID,
      secretAccessKey: ENV.S3BEAT_SECRET_ACCESS_KEY,
      assumeRoleFlag: false,
      roleArns: [],
      sessionDurationSeconds: 3600,
      roleSessionName: "s3beat",
      disableAuthRetry: false,
    });
    expect(l.settings.s3beat.externalId).toBeUndefined();
    expect(l.settings.output).toEqual({ kind: "console", pretty: false });
  });

  it("writes ${VAR} references for empty key answers, so a missing variable is reported by name", () => {
    const text = renderConfig(base);
    expect(text).toContain("accessKeyID: ${S3BEAT_ACCESS_KEY_ID}");
    expect(text).toContain("secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}");
    let err: unknown;
    try {
      loadConfigText(text, "s3beat.yml", {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.message).join("\n")).toMatch(/S3BEAT_ACCESS_KEY_ID is not set[^]*S3BEAT_SECRET_ACCESS_KEY is not set/);
  });

  it("typed keys, several roles, a file output: every value comes back exactly", () => {
    const a: Answers = {
      ...base,
      sqsQueues: ["a:us-east-2", "https://sqs.us-east-1.amazonaws.com/123456789012/b"],
      accessKeyID: "AKIAIOSFODNN7EXAMPLE",
      // Characters that YAML or the ${VAR} expansion could mangle.
      secretAccessKey: 'wJalr${NOT_A_VAR}"q\\u$${x}#: -',
      assumeRoleFlag: true,
      roleArn: [ARN, "arn:aws:iam::123456789012:role/other"],
      externalId: "tenant:42/prod",
      roleSessionName: "ingest@eu",
      sessionDuration: "2h",
      output: "file",
      outputPath: "/var/lib/s3beat/out dir #1",
    };
    const l = load(a, {});
    expect(warnings(l)).toEqual([]);
    expect(l.settings.s3beat).toMatchObject({
      sqsQueues: a.sqsQueues,
      region: "us-east-2",
      accessKeyId: a.accessKeyID,
      secretAccessKey: a.secretAccessKey,
      assumeRoleFlag: true,
      roleArns: a.roleArn,
      externalId: "tenant:42/prod",
      roleSessionName: "ingest@eu",
      sessionDurationSeconds: 7200,
    });
    expect(l.settings.output).toMatchObject({ kind: "file", path: a.outputPath, permissions: 0o600 });
    expect(l.secrets).toContain(a.secretAccessKey);
  });

  it("inside AWS: empty key values, no 'ignored because awsFlag' warnings", () => {
    const l = load({ ...base, awsFlag: true }, {});
    expect(warnings(l)).toEqual([]);
    expect(l.settings.s3beat.awsFlag).toBe(true);
    expect(l.settings.s3beat.accessKeyId).toBeUndefined();
    expect(l.settings.s3beat.secretAccessKey).toBeUndefined();
  });
});

describe("renderConfig's layout", () => {
  const text = renderConfig(base);
  const lines = text.split("\n");

  it("holds every assume-role key even when the answer was N", () => {
    for (const key of [
      "assumeRoleFlag: false",
      "roleArn: []",
      "sessionDuration: 1h",
      'roleSessionName: "s3beat"',
      'externalId: ""',
      "disableAuthRetry: false",
    ]) {
      expect(
        lines.some((l) => l.trimStart().startsWith(key)),
        key,
      ).toBe(true);
    }
  });

  it("comments every key line", () => {
    // Section headers (`s3beat:`, `output.console:`) are the only key lines without one.
    const keyLines = lines.filter((l) => /^\s*[\w.]+:/.test(l) && !/^[\w.]+:$/.test(l));
    expect(keyLines.length).toBe(16); // 11 under s3beat, 2 of output.console, 2 logging, configVersion
    expect(keyLines.filter((l) => !/ # \S/.test(l))).toEqual([]);
  });

  it("ends with configVersion at the current version, so migrate-config has nothing to do", () => {
    expect(CURRENT_CONFIG_VERSION).toBeGreaterThanOrEqual(1);
    expect(text.endsWith("\n")).toBe(true);
    expect(lines.filter((l) => l !== "").at(-1)).toMatch(new RegExp(`^configVersion: ${CURRENT_CONFIG_VERSION} +# `));
    expect(load(base).configVersion).toBe(CURRENT_CONFIG_VERSION);
  });

  it("writes only the chosen output section", () => {
    expect(text).toContain("output.console:");
    expect(text).not.toContain("output.file");
    const file = renderConfig({ ...base, output: "file", outputPath: "/out" });
    expect(file).toContain("output.file:");
    expect(file).not.toContain("output.console");
  });

  it("is deterministic: the same answers give the same bytes", () => {
    expect(renderConfig(structuredClone(base))).toBe(text);
  });
});

describe("queueRegion", () => {
  it.each([
    ["q:us-east-1", "us-east-1"],
    ["https://sqs.eu-central-1.amazonaws.com/123456789012/q", "eu-central-1"],
    ["http://127.0.0.1:4566/000000000000/q", undefined],
  ])("%s → %s", (entry, region) => expect(queueRegion(entry)).toBe(region));

  it("the file's region falls back to us-east-1 when no queue names one", () => {
    expect(renderConfig({ ...base, sqsQueues: ["http://127.0.0.1:4566/000000000000/q"] })).toMatch(/^ {2}region: us-east-1 /m);
  });
});

describe("the logstash output", () => {
  it("renders the collectors as output.logstash, which loads", () => {
    const loaded = load({ ...base, output: "logstash", outputHosts: ["opencollector:5044", "[::1]:5045"] });
    expect(loaded.settings.output).toMatchObject({
      kind: "logstash",
      hosts: [
        { host: "opencollector", port: 5044 },
        { host: "::1", port: 5045 },
      ],
      compressionLevel: 3,
    });
    expect(warnings(loaded)).toEqual([]);
  });

  const logstash: Answers = { ...base, output: "logstash", outputHosts: ["opencollector:5044"] };

  it("without TLS writes no ssl section (only a commented hint), and the output has no ssl", () => {
    const text = renderConfig(logstash);
    expect(text).not.toMatch(/^\s+ssl[.:]/m);
    expect(text).toMatch(/^\s+#ssl\.certificate_authorities:/m);
    expect(load(logstash).settings.output).not.toHaveProperty("ssl");
  });

  it("with TLS and a CA file writes ssl.enabled and certificate_authorities, which load (verification full, not written)", () => {
    const a: Answers = { ...logstash, sslEnabled: true, sslCa: "/etc/s3beat/ca dir/collector-ca.pem" };
    const text = renderConfig(a);
    expect(text).toContain("  ssl:\n    enabled: true");
    expect(text).toContain('    certificate_authorities: ["/etc/s3beat/ca dir/collector-ca.pem"]');
    expect(text).not.toMatch(/^\s+verification_mode:/m);
    const loaded = load(a);
    expect(warnings(loaded)).toEqual([]);
    expect(loaded.settings.output).toMatchObject({
      kind: "logstash",
      ssl: { certificateAuthorities: ["/etc/s3beat/ca dir/collector-ca.pem"], verificationMode: "full" },
    });
  });

  it("with TLS and the system's CAs writes no certificate_authorities; a verification mode other than full is written", () => {
    const loaded = load({ ...logstash, sslEnabled: true, sslCa: "", sslVerificationMode: "certificate" });
    expect(loaded.settings.output).toMatchObject({ kind: "logstash", ssl: { certificateAuthorities: [], verificationMode: "certificate" } });
    expect(renderConfig({ ...logstash, sslEnabled: true, sslVerificationMode: "none" })).toMatch(/^ {4}verification_mode: none +# /m);
  });

  it("comments every ssl key line", () => {
    const lines = renderConfig({ ...logstash, sslEnabled: true, sslCa: "/ca.pem", sslVerificationMode: "strict" }).split("\n");
    const ssl = lines.slice(lines.indexOf("  ssl:") + 1, lines.indexOf("  ssl:") + 4);
    expect(ssl.map((l) => l.trim().split(":")[0])).toEqual(["enabled", "certificate_authorities", "verification_mode"]);
    expect(ssl.filter((l) => !/ # \S/.test(l))).toEqual([]);
  });
});
