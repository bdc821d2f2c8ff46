/**
 * Credentials in an existing file: --secrets-from-env's replacement of LogRhythm-encrypted values
 * (in every quoting and form), the masking that keeps every secret value out of a diff, and the
 * loader's reading of a file's permissions and of the keys it knows are not s3beat's.
 */
import { describe, expect, it } from "vitest";
import { notUsedKey, NOT_USED_KEYS } from "../../src/config/knownKeys.ts";
import { exposedSecretsMessage, literalSecrets } from "../../src/config/permissions.ts";
import { planMigration } from "../../src/migrate/plan.ts";
import { maskSecrets } from "../../src/migrate/secrets.ts";
import { parseSource } from "../../src/migrate/source.ts";

const fromEnv = (text: string) => {
  const plan = planMigration(`configVersion: 1\n${text}`, undefined, { secretsFromEnv: true });
  if (plan.status !== "pending") throw new Error(`expected pending, got ${plan.status}`);
  return plan.text.slice("configVersion: 1\n".length);
};

describe("--secrets-from-env", () => {
  it.each([
    ["double quotes", '  accessKeyID: "2||QUtJQQ=="\n', '  accessKeyID: "${S3BEAT_ACCESS_KEY_ID}"\n'],
    ["single quotes and a comment", "  accessKeyID: '2||QUtJQQ=='   # enc\n", "  accessKeyID: '${S3BEAT_ACCESS_KEY_ID}'   # enc\n"],
    ["plain, with a comment", "  secretAccessKey: 12||c2VjcmV0 # x\n", "  secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY} # x\n"],
  ])("keeps the quoting: %s", (_, line, expected) => {
    expect(fromEnv(`s3beat:\n${line}output.console:\n`)).toBe(`s3beat:\n${expected}output.console:\n`);
  });

  it("quotes a plain value inside a {…} flow mapping, handles the dotted form and CRLF", () => {
    expect(fromEnv("s3beat: {sqsQueues: [q:us-east-1], secretAccessKey: 2||abcd}\n")).toBe(
      's3beat: {sqsQueues: [q:us-east-1], secretAccessKey: "${S3BEAT_SECRET_ACCESS_KEY}"}\n',
    );
    expect(fromEnv('s3beat.accessKeyID: "2||abcd"\r\ns3beat.secretAccessKey: 2||efgh\r\n')).toBe(
      's3beat.accessKeyID: "${S3BEAT_ACCESS_KEY_ID}"\r\ns3beat.secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}\r\n',
    );
  });

  it("leaves plain keys, ${VAR} references and other keys' encrypted-looking values alone", () => {
    const text = "s3beat:\n  accessKeyID: AKIAIOSFODNN7EXAMPLE\n  secretAccessKey: ${MINE}\n  externalId: 2||x\n";
    expect(planMigration(`configVersion: 1\n${text}`, undefined, { secretsFromEnv: true })).toEqual({ status: "current", version: 1 });
  });

  it("without the option, a current file reports its encrypted keys (never their values)", () => {
    const plan = planMigration('configVersion: 1\ns3beat:\n  secretAccessKey: "2||c2VjcmV0"\n');
    expect(plan).toEqual({
      status: "current",
      version: 1,
      encrypted: [{ name: "secretAccessKey", written: "secretAccessKey", line: 3, variable: "S3BEAT_SECRET_ACCESS_KEY" }],
    });
  });
});

describe("maskSecrets (what a diff is made from)", () => {
  it("masks every credential written in the file, in its quoting, and leaves ${VAR} references and the rest", () => {
    const text = [
      "s3beat:",
      '  accessKeyID: "AKIAIOSFODNN7EXAMPLE"',
      "  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG'   # keep me",
      "  externalId: plain-external-id",
      "  region: us-east-1",
      "s3beat.secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}",
      "",
    ].join("\n");
    expect(maskSecrets(text)).toBe(
      [
        "s3beat:",
        '  accessKeyID: "[REDACTED]"',
        "  secretAccessKey: '[REDACTED]'   # keep me",
        "  externalId: [REDACTED]",
        "  region: us-east-1",
        "s3beat.secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}",
        "",
      ].join("\n"),
    );
  });

  it("masks a default written in a ${VAR:default}, a block scalar and a list too", () => {
    const out = maskSecrets(
      "s3beat:\n  accessKeyID: ${ID:AKIADEFAULTVALUE}\n  secretAccessKey: |-\n    multi-line-secret\n  externalId:\n    - listed-secret\n  region: x\n",
    );
    expect(out).toBe('s3beat:\n  accessKeyID: [REDACTED]\n  secretAccessKey: "[REDACTED]"\n  externalId:\n    [REDACTED]\n  region: x\n');
  });
});

describe("file permissions", () => {
  const secrets = (text: string) => {
    const parsed = parseSource(text);
    if (!parsed.ok) throw new Error("parse");
    return literalSecrets(parsed.source.top);
  };

  it("count literal values, encrypted ones and ${VAR:default} defaults, not lone ${VAR} references or empty values", () => {
    expect(secrets("s3beat:\n  accessKeyID: ${A}\n  secretAccessKey: ''\n").map((s) => s.path)).toEqual([]);
    expect(secrets("s3beat:\n  accessKeyID: ${A:AKIA}\ns3beat.secretAccessKey: 2||x\n").map((s) => s.path)).toEqual([
      "s3beat.accessKeyID",
      "s3beat.secretAccessKey",
    ]);
  });

  it("warn for any group or other permission, with the chmod command, and not for 0600 or 0400", () => {
    const found = secrets("s3beat:\n  secretAccessKey: plain\n");
    expect(exposedSecretsMessage(found, 0o100600, "s3beat.yml")).toBeUndefined();
    expect(exposedSecretsMessage(found, 0o100400, "s3beat.yml")).toBeUndefined();
    expect(exposedSecretsMessage([], 0o100644, "s3beat.yml")).toBeUndefined();
    expect(exposedSecretsMessage(found, 0o100640, "/etc/my conf/s3beat.yml")).toBe(
      "is a literal secret in this file, and the file's mode 0640 lets its group or other users read it: chmod 600 '/etc/my conf/s3beat.yml' (or keep the secret in the environment: secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY})",
    );
    expect(exposedSecretsMessage(found, 0o100604, "s3beat.yml")).toMatch(/mode 0604 .*chmod 600 s3beat\.yml/);
  });
});

describe("keys s3beat knows it does not use", () => {
  it("cover libbeat's and LogRhythm's keys, as sections or single keys, and nothing of s3beat's own", () => {
    for (const path of [
      "queue",
      "processors",
      "setup",
      "monitoring",
      "path",
      "logging.to_files",
      "s3beat.period",
      "s3beat.traits",
      "s3beat.logsource_name",
      "output.logstash.worker",
    ]) {
      expect(notUsedKey(path), path).toBeDefined();
    }
    for (const path of [
      "s3beat.sqsQueue",
      "s3beat.heartbeatDisabled",
      "logging.levle",
      "output.logstash.host",
      "s3beat.fileSelectors[0].tags",
      "lrPluginVersion",
    ]) {
      expect(notUsedKey(path), path).toBeUndefined();
    }
    // No entry shadows a setting of s3beat's own schema.
    const own = [
      "s3beat.heartbeatdisabled",
      "s3beat.heartbeatinterval",
      "s3beat.beatIdentifier",
      "logging.level",
      "logging.metrics",
      "http.enabled",
      "output.logstash.hosts",
    ];
    for (const path of own) expect(NOT_USED_KEYS.map((k) => k.path)).not.toContain(path);
  });
});
