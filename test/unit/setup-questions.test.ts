import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { askQuestions, type Ask } from "../../src/setup/interactive.ts";
import { QUESTIONS, parseYesNo } from "../../src/setup/questions.ts";
import { applies, conditionText, reasonInvalid, type QuestionSpec } from "../../src/setup/spec.ts";
import type { AnswerKey, Answers } from "../../src/setup/answers.ts";
import { getTestCerts } from "../support/tlsCerts.ts";

const spec = (key: AnswerKey): QuestionSpec => {
  const s = QUESTIONS.find((q) => q.key === key);
  if (!s) throw new Error(`no question ${key}`);
  return s;
};
const parse = (key: AnswerKey, text: string, answers: Partial<Answers> = {}) => spec(key).parse(text, answers);
const ARN = "arn:aws:iam::123456789012:role/s3beat-reader";
const THIS_FILE = fileURLToPath(import.meta.url);

// PEM files for the CA question: a CA, a leaf it issued, a key, garbage, an unparsable certificate.
const certs = getTestCerts();
const pemDir = mkdtempSync(join(tmpdir(), "s3beat-setup-pem-"));
afterAll(() => rmSync(pemDir, { recursive: true, force: true }));
const pemFile = (name: string, text: string) => {
  const path = join(pemDir, name);
  writeFileSync(path, text);
  return path;
};
const CA = pemFile("ca.pem", certs.ca);
const BUNDLE = pemFile("bundle.pem", certs.serverCert + certs.ca);
const LEAF = pemFile("server.pem", certs.serverCert);
const KEY_FILE = pemFile("server.key", certs.serverKey);
const NOT_PEM = pemFile("notes.txt", "hello\n");
const BROKEN = pemFile("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

describe("the question flow", () => {
  it("asks in the order of DESIGN §3, the role questions and the output path only conditionally", () => {
    expect(QUESTIONS.map((q) => [q.key, q.kind, q.when ? conditionText(q.when) : "always"])).toEqual([
      ["sqsQueues", "input", "always"],
      ["awsFlag", "select", "always"],
      ["accessKeyID", "input", "awsFlag=false"],
      ["secretAccessKey", "password", "awsFlag=false"],
      ["assumeRoleFlag", "confirm", "always"],
      ["roleArn", "input", "assumeRoleFlag=true"],
      ["externalId", "input", "assumeRoleFlag=true"],
      ["roleSessionName", "input", "assumeRoleFlag=true"],
      ["sessionDuration", "input", "assumeRoleFlag=true"],
      ["output", "select", "always"],
      ["outputPath", "input", "output=file"],
      ["outputHosts", "input", "output=logstash"],
      ["sslEnabled", "confirm", "output=logstash"],
      ["sslCa", "input", "output=logstash and sslEnabled=true"],
      ["sslVerificationMode", "select", "output=logstash and sslEnabled=true"],
    ]);
  });

  it("has the seed's defaults: assumeRoleFlag N, session 1h, session name s3beat; queues and ARNs required", () => {
    expect(Object.fromEntries(QUESTIONS.map((q) => [q.key, q.default]))).toEqual({
      sqsQueues: undefined,
      awsFlag: "false",
      accessKeyID: "",
      secretAccessKey: "",
      assumeRoleFlag: "false",
      roleArn: undefined,
      externalId: "",
      roleSessionName: "s3beat",
      sessionDuration: "1h",
      output: "console",
      outputPath: undefined,
      outputHosts: undefined,
      sslEnabled: "false",
      sslCa: undefined,
      sslVerificationMode: "full",
    });
    // Every default is itself a valid answer.
    for (const q of QUESTIONS) if (q.default !== undefined) expect(reasonInvalid(q, q.default, { sqsQueues: ["q:us-east-1"] }), q.key).toBeUndefined();
  });

  it("only marks the secret key as secret, and asks it masked", () => {
    expect(QUESTIONS.filter((q) => q.secret).map((q) => [q.key, q.kind])).toEqual([["secretAccessKey", "password"]]);
  });

  it("offers inside-AWS and access keys as credentials, console, file and logstash as outputs", () => {
    expect(spec("awsFlag").choices).toEqual([
      { value: "true", name: "inside AWS (default credential chain)" },
      { value: "false", name: "access keys" },
    ]);
    expect(spec("output").choices?.map((c) => c.value)).toEqual(["console", "file", "logstash"]);
  });

  it("applies() is true/false by the answer, and unknown while that answer is missing", () => {
    expect(applies(spec("roleArn"), { assumeRoleFlag: true })).toBe(true);
    expect(applies(spec("roleArn"), { assumeRoleFlag: false })).toBe(false);
    expect(applies(spec("roleArn"), {})).toBeUndefined();
    expect(applies(spec("sqsQueues"), {})).toBe(true);
  });

  it("applies() checks a chained condition outermost first: the CA only for logstash with TLS", () => {
    expect(applies(spec("sslCa"), { output: "logstash", sslEnabled: true })).toBe(true);
    expect(applies(spec("sslCa"), { output: "logstash", sslEnabled: false })).toBe(false);
    expect(applies(spec("sslCa"), { output: "console" })).toBe(false); // sslEnabled never asked
    expect(applies(spec("sslCa"), { output: "logstash" })).toBeUndefined();
    expect(applies(spec("sslCa"), {})).toBeUndefined();
  });

  it("offers the four verification modes, full first", () => {
    expect(spec("sslVerificationMode").choices?.map((c) => c.value)).toEqual(["full", "certificate", "strict", "none"]);
  });
});

describe("valid answers and what they become", () => {
  it.each<[AnswerKey, string, unknown]>([
    ["sqsQueues", "prod-events:us-east-1", ["prod-events:us-east-1"]],
    ["sqsQueues", " a:eu-west-1 , b.fifo:us-gov-west-1 ,", ["a:eu-west-1", "b.fifo:us-gov-west-1"]],
    ["sqsQueues", "https://sqs.us-east-2.amazonaws.com/123456789012/q", ["https://sqs.us-east-2.amazonaws.com/123456789012/q"]],
    ["awsFlag", "true", true],
    ["awsFlag", "N", false],
    ["accessKeyID", "", ""],
    ["accessKeyID", " AKIAIOSFODNN7EXAMPLE ", "AKIAIOSFODNN7EXAMPLE"],
    ["secretAccessKey", "", ""],
    ["secretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    ["assumeRoleFlag", "y", true],
    ["assumeRoleFlag", "Yes", true],
    ["assumeRoleFlag", "false", false],
    ["roleArn", ARN, [ARN]],
    ["roleArn", `${ARN}, arn:aws-us-gov:iam::210987654321:role/other`, [ARN, "arn:aws-us-gov:iam::210987654321:role/other"]],
    ["externalId", "", ""],
    ["externalId", "tenant:42/prod@x", "tenant:42/prod@x"],
    ["roleSessionName", "s3beat-node_1@eu", "s3beat-node_1@eu"],
    ["sessionDuration", "15m", "15m"],
    ["sessionDuration", "7200", "2h"],
    ["sessionDuration", "1h30m", "1h30m"],
    ["sessionDuration", "12h", "12h"],
    ["output", "File", "file"],
    ["output", "console", "console"],
    ["outputPath", " /var/lib/s3beat/out ", "/var/lib/s3beat/out"],
    ["outputHosts", "opencollector:5044, logstash", ["opencollector:5044", "logstash:5044"]],
    ["sslEnabled", "y", true],
    ["sslEnabled", "false", false],
    ["sslCa", ` ${CA} `, CA],
    ["sslCa", BUNDLE, BUNDLE],
    ["sslCa", "System", ""],
    ["sslVerificationMode", "Certificate", "certificate"],
    ["sslVerificationMode", "none", "none"],
  ])("%s %j → %j", (key, text, expected) => {
    expect(parse(key, text, { sqsQueues: ["a:us-east-1", "b:us-east-1"] })).toEqual(expected);
  });
});

describe("invalid answers and their reasons", () => {
  it.each<[AnswerKey, string, string | RegExp]>([
    ["sqsQueues", "", "enter at least one queue"],
    ["sqsQueues", "just-a-name", 'expected "name:region"'],
    ["sqsQueues", "q:mars-1", '"mars-1" is not an AWS region'],
    ["sqsQueues", "bad name!:us-east-1", 'queue name "bad name!" is not valid'],
    ["sqsQueues", "https://sqs.us-east-1.amazonaws.com/q", "no /ACCOUNT/NAME path"],
    ["sqsQueues", "q:us-east-1,q:us-east-1", '"q:us-east-1" is listed twice'],
    ["awsFlag", "maybe", "answer y or n"],
    ["accessKeyID", "akia-lower", "expected an access key ID: 16–128 capital letters and digits"],
    ["secretAccessKey", "has space inside", "a secret access key has no spaces"],
    ["secretAccessKey", "2||c2VjcmV0", "looks encrypted by LogRhythm tooling"],
    ["assumeRoleFlag", "sure", "answer y or n"],
    ["roleArn", "", "enter the ARN of the role to assume"],
    ["roleArn", "arn:aws:iam::12345:role/x", /expected a role ARN .*arn:aws:iam::<12-digit account id>:role\/<name>/],
    ["roleArn", "arn:aws:iam::123456789012:user/x", "expected a role ARN"],
    ["roleArn", `${ARN},${ARN},${ARN}`, "3 roles for 2 queue(s): give one role for every queue, or exactly one per queue"],
    ["externalId", "x", "must be 2–1224 characters"],
    ["externalId", "has space", "must be 2–1224 characters"],
    ["roleSessionName", "", "must be 2–64 characters"],
    ["roleSessionName", "a".repeat(65), "must be 2–64 characters"],
    ["roleSessionName", "no/slash", "must be 2–64 characters"],
    ["sessionDuration", "10m", "must be between 15m and 12h, got 10m"],
    ["sessionDuration", "13h", "must be between 15m and 12h, got 13h"],
    ["sessionDuration", "899", "must be between 15m and 12h, got 899"],
    ["sessionDuration", "an hour", "expected a duration like 30s, 5m, 1h30m"],
    ["output", "kafka", "expected one of console, file, logstash"],
    ["outputHosts", " , ", "enter at least one collector as host:port"],
    ["outputHosts", "tcp://oc:5044", "without a scheme"],
    ["outputPath", "  ", "enter the directory"],
    ["outputPath", "/tmp/a\nb", "must not contain control characters"],
    ["outputPath", THIS_FILE, `${THIS_FILE} exists and is not a directory`],
    ["sslEnabled", "tls", "answer y or n"],
    ["sslCa", "", "enter the path of the CA certificate file (PEM), or system to trust the system's CAs"],
    ["sslCa", join(pemDir, "missing.pem"), `${join(pemDir, "missing.pem")}: no such file`],
    ["sslCa", pemDir, `${pemDir} is a directory`],
    ["sslCa", NOT_PEM, `${NOT_PEM} is not a PEM certificate (no -----BEGIN CERTIFICATE----- line`],
    ["sslCa", KEY_FILE, `${KEY_FILE} holds a private key, not a certificate`],
    ["sslCa", BROKEN, `${BROKEN}: certificate 1 of 1 does not parse`],
    ["sslCa", LEAF, `${LEAF} is the certificate of CN=127.0.0.1, issued by CN=s3beat test CA, not a CA`],
    ["sslVerificationMode", "partial", "expected one of full, certificate, strict, none"],
  ])("%s %j: %s", (key, text, reason) => {
    const got = reasonInvalid(spec(key), text, { sqsQueues: ["a:us-east-1", "b:us-east-1"] });
    expect(got).toBeDefined();
    if (typeof reason === "string") expect(got).toContain(reason);
    else expect(got).toMatch(reason);
  });

  it("makes a relative CA path absolute and expands ~/ (the daemon may run from another directory)", () => {
    const rel = join("test", "unit", "ca.pem");
    expect(reasonInvalid(spec("sslCa"), rel, {})).toBe(`${resolve(rel)}: no such file`);
    expect(reasonInvalid(spec("sslCa"), "~/no-such-s3beat-ca.pem", {})).toBe(`${join(homedir(), "no-such-s3beat-ca.pem")}: no such file`);
  });

  it("never quotes a secret access key in the reason", () => {
    for (const secret of ["s3cr3t value with spaces", "2||VGhpc0lzU2VjcmV0"]) {
      const reason = reasonInvalid(spec("secretAccessKey"), secret, {});
      expect(reason).toBeDefined();
      expect(reason).not.toContain(secret.slice(3, 10));
    }
  });

  it("parseYesNo accepts y/yes/true and n/no/false in any case only", () => {
    expect(["y", "YES", "True"].map(parseYesNo)).toEqual([true, true, true]);
    expect(["n", "No", "FALSE"].map(parseYesNo)).toEqual([false, false, false]);
    expect(() => parseYesNo("")).toThrow("answer y or n");
  });
});

/** A fake terminal: replies from a script per key (several replies = re-asked), recording what was asked. */
function scripted(replies: Partial<Record<AnswerKey, string[]>>) {
  const asked: AnswerKey[] = [];
  const reasons: Partial<Record<AnswerKey, string[]>> = {};
  const ask: Ask = async (q, validate) => {
    asked.push(q.key);
    const queue = [...(replies[q.key] ?? [q.default ?? ""])];
    for (;;) {
      const text = queue.shift();
      if (text === undefined) throw new Error(`${q.key}: out of scripted replies`);
      const ok = validate(text);
      if (ok === true) return text;
      (reasons[q.key] ??= []).push(ok);
    }
  };
  return { ask, asked, reasons };
}

describe("askQuestions (the interactive walk, with a fake terminal)", () => {
  it("with assumeRoleFlag N asks no role, ARN or session question and keeps the defaults", async () => {
    const t = scripted({ sqsQueues: ["q:us-east-1"], assumeRoleFlag: ["false"] });
    const answers = await askQuestions(t.ask);
    expect(t.asked).toEqual(["sqsQueues", "awsFlag", "accessKeyID", "secretAccessKey", "assumeRoleFlag", "output"]);
    expect(answers).toMatchObject({ assumeRoleFlag: false, roleArn: [], externalId: "", roleSessionName: "s3beat", sessionDuration: "1h", output: "console" });
  });

  it("with y asks the role questions, re-asking invalid answers with their reason", async () => {
    const t = scripted({
      sqsQueues: ["nope", "q:us-east-1"],
      awsFlag: ["true"],
      assumeRoleFlag: ["true"],
      roleArn: ["arn:aws:iam::1:role/x", ARN],
      sessionDuration: ["10m", "2h"],
      output: ["file"],
      outputPath: ["/tmp/s3beat-out"],
    });
    const answers = await askQuestions(t.ask);
    expect(t.asked).toEqual(["sqsQueues", "awsFlag", "assumeRoleFlag", "roleArn", "externalId", "roleSessionName", "sessionDuration", "output", "outputPath"]);
    expect(t.reasons.sqsQueues).toEqual([expect.stringContaining('expected "name:region"')]);
    expect(t.reasons.roleArn).toEqual([expect.stringContaining("expected a role ARN")]);
    expect(t.reasons.sessionDuration).toEqual(["must be between 15m and 12h, got 10m"]);
    expect(answers).toMatchObject({ awsFlag: true, roleArn: [ARN], sessionDuration: "2h", output: "file", outputPath: "/tmp/s3beat-out" });
  });

  it("for logstash asks TLS (default N: no CA question), and with y the CA, re-asked with its reason, and the mode", async () => {
    const without = scripted({ sqsQueues: ["q:us-east-1"], awsFlag: ["true"], output: ["logstash"], outputHosts: ["oc"] });
    const a = await askQuestions(without.ask);
    expect(without.asked).toEqual(["sqsQueues", "awsFlag", "assumeRoleFlag", "output", "outputHosts", "sslEnabled"]);
    expect(a).toMatchObject({ sslEnabled: false, sslCa: "", sslVerificationMode: "full" });

    const missing = join(pemDir, "nope.pem");
    const t = scripted({
      sqsQueues: ["q:us-east-1"],
      awsFlag: ["true"],
      output: ["logstash"],
      outputHosts: ["oc"],
      sslEnabled: ["y"],
      sslCa: [missing, LEAF, CA],
      sslVerificationMode: ["certificate"],
    });
    const b = await askQuestions(t.ask);
    expect(t.asked).toEqual(["sqsQueues", "awsFlag", "assumeRoleFlag", "output", "outputHosts", "sslEnabled", "sslCa", "sslVerificationMode"]);
    expect(t.reasons.sslCa).toEqual([`${missing}: no such file`, expect.stringContaining("not a CA")]);
    expect(b).toMatchObject({ sslEnabled: true, sslCa: CA, sslVerificationMode: "certificate" });
  });

  it("checks the number of ARNs against the queues answered before", async () => {
    const t = scripted({
      sqsQueues: ["a:us-east-1,b:us-east-1"],
      assumeRoleFlag: ["true"],
      roleArn: [`${ARN},${ARN},${ARN}`, `${ARN},arn:aws:iam::123456789012:role/b`],
    });
    const answers = await askQuestions(t.ask);
    expect(t.reasons.roleArn).toEqual([expect.stringContaining("3 roles for 2 queue(s)")]);
    expect(answers.roleArn).toHaveLength(2);
  });
});
