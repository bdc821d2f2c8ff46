import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { askQuestions, type Ask } from "../../src/setup/interactive.ts";
import { collectAnswers, envName } from "../../src/setup/nonInteractive.ts";
import { renderConfig } from "../../src/setup/render.ts";
import { getTestCerts } from "../support/tlsCerts.ts";

const ARN = "arn:aws:iam::123456789012:role/s3beat-reader";

describe("envName", () => {
  it.each([
    ["sqsQueues", "S3BEAT_SETUP_SQS_QUEUES"],
    ["accessKeyID", "S3BEAT_SETUP_ACCESS_KEY_ID"],
    ["secretAccessKey", "S3BEAT_SETUP_SECRET_ACCESS_KEY"],
    ["assumeRoleFlag", "S3BEAT_SETUP_ASSUME_ROLE_FLAG"],
    ["roleSessionName", "S3BEAT_SETUP_ROLE_SESSION_NAME"],
    ["outputPath", "S3BEAT_SETUP_OUTPUT_PATH"],
    ["sslEnabled", "S3BEAT_SETUP_SSL_ENABLED"],
    ["sslCa", "S3BEAT_SETUP_SSL_CA"],
    ["sslVerificationMode", "S3BEAT_SETUP_SSL_VERIFICATION_MODE"],
  ])("%s → %s", (key, name) => expect(envName(key)).toBe(name));
});

describe("collectAnswers: missing answers", () => {
  it("with nothing given, lists sqsQueues only (everything else has a default or does not apply)", () => {
    const c = collectAnswers([], {});
    expect(c.answers).toBeUndefined();
    expect(c.problems).toEqual([
      'sqsQueues: missing — SQS queue(s), comma-separated "name:region" or queue URLs (--set sqsQueues=… or S3BEAT_SETUP_SQS_QUEUES)',
    ]);
  });

  it("lists EVERY missing answer, including the ones that became needed by other answers", () => {
    const c = collectAnswers(["assumeRoleFlag=y", "output=file"], {});
    expect(c.problems.map((p) => p.split(":")[0])).toEqual(["sqsQueues", "roleArn", "outputPath"]);
    expect(c.problems[1]).toContain("--set roleArn=… or S3BEAT_SETUP_ROLE_ARN");
    expect(c.problems[2]).toContain("--set outputPath=… or S3BEAT_SETUP_OUTPUT_PATH");
  });

  it("lists invalid and missing answers together, with where each came from", () => {
    const c = collectAnswers(["assumeRoleFlag=y", "sessionDuration=10m", "roleSessionName=x"], { S3BEAT_SETUP_SQS_QUEUES: "no-region" });
    expect(c.problems).toEqual([
      expect.stringMatching(/^sqsQueues: expected "name:region".*\(from S3BEAT_SETUP_SQS_QUEUES\)$/),
      expect.stringMatching(/^roleArn: missing/),
      "roleSessionName: must be 2–64 characters of letters, digits and _+=,.@- (from --set)",
      "sessionDuration: must be between 15m and 12h, got 10m (from --set)",
    ]);
  });

  it("still validates the answers of a question whose condition is itself invalid, without calling them missing", () => {
    const c = collectAnswers(["sqsQueues=q:us-east-1", "assumeRoleFlag=perhaps", "sessionDuration=13h"], {});
    expect(c.problems).toEqual(["assumeRoleFlag: answer y or n (from --set)", "sessionDuration: must be between 15m and 12h, got 13h (from --set)"]);
  });

  it("refuses an answer to a question that does not apply, rather than dropping it silently", () => {
    const c = collectAnswers(["sqsQueues=q:us-east-1", `roleArn=${ARN}`, "awsFlag=true", "accessKeyID=AKIAIOSFODNN7EXAMPLE"], {});
    expect(c.problems).toEqual(["accessKeyID: only used when awsFlag is false (from --set)", "roleArn: only used when assumeRoleFlag is true (from --set)"]);
  });

  it("reports unknown keys, unknown S3BEAT_SETUP_ variables and malformed --set arguments", () => {
    const c = collectAnswers(["sqsQueues=q:us-east-1", "queues=q:us-east-1", "oops"], { S3BEAT_SETUP_SQS_QUEUE: "q:us-east-1" });
    expect(c.problems).toEqual([
      expect.stringMatching(/^S3BEAT_SETUP_SQS_QUEUE: not a setup answer \(known variables: S3BEAT_SETUP_SQS_QUEUES, /),
      expect.stringMatching(/^--set queues: unknown key \(known keys: sqsQueues, awsFlag, /),
      "--set (argument 3): expected key=value, e.g. --set sqsQueues=my-queue:us-east-1",
    ]);
  });

  it("never prints a secret, even a misspelt or malformed one", () => {
    const secret = "TopSecretValue/with spaces";
    const c = collectAnswers(["sqsQueues=q:us-east-1", `secretAccessKey=${secret}`, `secretaccesskey=${secret}`, secret], {
      S3BEAT_SETUP_SECRET_KEY: secret,
    });
    expect(c.problems).toHaveLength(4);
    expect(c.problems.join("\n")).not.toContain("TopSecret");
  });
});

describe("collectAnswers: complete answers", () => {
  it("takes answers from the environment, --set winning over it; VAR= counts as unset", () => {
    const c = collectAnswers(["sessionDuration=45m"], {
      S3BEAT_SETUP_SQS_QUEUES: "a:us-east-1",
      S3BEAT_SETUP_ASSUME_ROLE_FLAG: "y",
      S3BEAT_SETUP_ROLE_ARN: ARN,
      S3BEAT_SETUP_SESSION_DURATION: "3h",
      S3BEAT_SETUP_EXTERNAL_ID: "",
    });
    expect(c.problems).toEqual([]);
    expect(c.answers).toEqual({
      sqsQueues: ["a:us-east-1"],
      awsFlag: false,
      accessKeyID: "",
      secretAccessKey: "",
      assumeRoleFlag: true,
      roleArn: [ARN],
      externalId: "",
      roleSessionName: "s3beat",
      sessionDuration: "45m",
      output: "console",
      outputPath: "",
      outputHosts: [],
      sslEnabled: false,
      sslCa: "",
      sslVerificationMode: "full",
    });
  });

  it("gives the same answers, hence the same file, as the interactive walk with the same replies", async () => {
    const replies: Record<string, string> = {
      sqsQueues: "a:eu-west-1,b:eu-west-1",
      awsFlag: "false",
      accessKeyID: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      assumeRoleFlag: "true",
      roleArn: ARN,
      externalId: "ext-42",
      roleSessionName: "ingest",
      sessionDuration: "7200",
      output: "file",
      outputPath: "/srv/out",
    };
    const ask: Ask = async (q, validate) => {
      const text = replies[q.key]!;
      expect(validate(text)).toBe(true);
      return text;
    };
    const interactive = await askQuestions(ask);
    const sets = Object.entries(replies).map(([k, v]) => `${k}=${v}`);
    const c = collectAnswers(sets, {});
    expect(c.problems).toEqual([]);
    expect(c.answers).toEqual(interactive);
    expect(renderConfig(c.answers!)).toBe(renderConfig(interactive));
  });
});

describe("collectAnswers: TLS to the collector", () => {
  const dir = mkdtempSync(join(tmpdir(), "s3beat-setup-ni-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, "ca.pem");
  writeFileSync(ca, getTestCerts().ca);
  const LOGSTASH = ["sqsQueues=q:us-east-1", "output=logstash", "outputHosts=oc:5044"];

  it("TLS y without a CA is a missing answer, named with its --set key and variable", () => {
    const c = collectAnswers([...LOGSTASH, "sslEnabled=y"], {});
    expect(c.problems).toEqual([
      "sslCa: missing — CA certificate file (PEM) that issued the collector's certificate (system: the system's CAs) (--set sslCa=… or S3BEAT_SETUP_SSL_CA)",
    ]);
  });

  it("takes the TLS answers from --set and S3BEAT_SETUP_*; a bad CA path is listed with its reason", () => {
    expect(
      collectAnswers(LOGSTASH, { S3BEAT_SETUP_SSL_ENABLED: "y", S3BEAT_SETUP_SSL_CA: ca, S3BEAT_SETUP_SSL_VERIFICATION_MODE: "certificate" }).answers,
    ).toMatchObject({
      output: "logstash",
      sslEnabled: true,
      sslCa: ca,
      sslVerificationMode: "certificate",
    });
    expect(collectAnswers([...LOGSTASH, "sslEnabled=y", "sslCa=system"], {}).answers).toMatchObject({
      sslEnabled: true,
      sslCa: "",
      sslVerificationMode: "full",
    });
    expect(collectAnswers([...LOGSTASH, "sslEnabled=y", `sslCa=${join(dir, "none.pem")}`], {}).problems).toEqual([
      `sslCa: ${join(dir, "none.pem")}: no such file (from --set)`,
    ]);
  });

  it("refuses TLS answers that do not apply, naming the condition that does not hold", () => {
    expect(collectAnswers(["sqsQueues=q:us-east-1", "sslEnabled=y", `sslCa=${ca}`], {}).problems).toEqual([
      "sslEnabled: only used when output is logstash (from --set)",
      "sslCa: only used when output is logstash (from --set)",
    ]);
    expect(collectAnswers([...LOGSTASH, "sslVerificationMode=none"], {}).problems).toEqual([
      "sslVerificationMode: only used when sslEnabled is true (from --set)",
    ]);
  });

  it("gives the same file as the interactive walk with the same TLS replies", async () => {
    const replies: Record<string, string> = {
      sqsQueues: "q:us-east-1",
      awsFlag: "true",
      output: "logstash",
      outputHosts: "oc",
      sslEnabled: "y",
      sslCa: ca,
      sslVerificationMode: "strict",
    };
    const ask: Ask = async (q, validate) => {
      const text = replies[q.key] ?? q.default ?? "";
      expect(validate(text)).toBe(true);
      return text;
    };
    const interactive = await askQuestions(ask);
    const c = collectAnswers(
      Object.entries(replies).map(([k, v]) => `${k}=${v}`),
      {},
    );
    expect(c.problems).toEqual([]);
    expect(renderConfig(c.answers!)).toBe(renderConfig(interactive));
  });
});
