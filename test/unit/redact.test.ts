import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logging/logger.ts";
import { registerSecret, scrubSecrets } from "../../src/logging/redact.ts";

const ACCESS = "AKIAIOSFODNN7EXAMPLE";
const TEMP = "ASIAY34FZKBOKMUTVV7A";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKENvalue0123456789abcdefghijklmnopqrstuvwxyz==";

describe("scrubSecrets", () => {
  registerSecret(SECRET);
  it.each([
    [`key ${ACCESS} used`, ACCESS],
    [`temp ${TEMP}`, TEMP],
    [`the secret is ${SECRET}`, SECRET],
    [`https://b.s3.amazonaws.com/k?X-Amz-Security-Token=${encodeURIComponent(TOKEN)}&X-Amz-Signature=abc`, encodeURIComponent(TOKEN)],
    [`{"SessionToken":"${TOKEN}"}`, TOKEN],
    [`x-amz-security-token: ${TOKEN}`, TOKEN],
    [`aws_secret_access_key=${"z".repeat(40)}`, "z".repeat(40)],
  ])("removes the secret from %s", (text, secret) => {
    const out = scrubSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain("[REDACTED]");
  });

  it.each([
    "queue prod-events: 120 messages, s3://bucket/AWSLogs/123456789012/x.gz",
    "s3beat.secretAccessKey: looks encrypted; supply it as secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}",
  ])("leaves ordinary text alone: %s", (text) => {
    expect(scrubSecrets(text)).toBe(text);
  });
});

describe("logger", () => {
  it("never writes a secret, by key name or inside a message", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const log = createLogger({ level: "info", format: "json", destination: sink });
    log.info({ config: { accessKeyID: ACCESS, secretAccessKey: SECRET }, credentials: { sessionToken: TOKEN } }, "loaded");
    log.error(new Error(`request failed for ${TEMP} with secret ${SECRET}`), `signature ${SECRET}`);
    const all = lines.join("");
    expect(lines.length).toBe(2);
    for (const s of [ACCESS, SECRET, TOKEN, TEMP]) expect(all).not.toContain(s);
    expect(all).toContain("[REDACTED]");
  });
});

describe("logger: key-name redaction on its own", () => {
  // Values the text scrubber cannot recognise (short, not registered, no AWS key-id prefix), so
  // only the logger's redacted key names keep them out of the line.
  it.each([
    "accessKeyID",
    "accessKeyId",
    "AccessKeyId",
    "secretAccessKey",
    "SecretAccessKey",
    "sessionToken",
    "SessionToken",
    "authorization",
    "Authorization",
  ])("hides the value of %s, at the top and nested two levels", (key) => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const log = createLogger({ level: "info", format: "json", destination: sink });
    const value = `v-${key.length}-shh`; // under 16 characters: no pattern of scrubSecrets matches it
    expect(scrubSecrets(JSON.stringify({ [key]: value }))).toContain(value);
    log.info({ [key]: value, s3beat: { [key]: value }, a: { b: { [key]: value } } }, "settings");
    const line = JSON.parse(lines.join("")) as Record<string, unknown>;
    expect(lines.join("")).not.toContain(value);
    expect(line[key]).toBe("[REDACTED]");
    expect((line.s3beat as Record<string, unknown>)[key]).toBe("[REDACTED]");
    expect(((line.a as Record<string, unknown>).b as Record<string, unknown>)[key]).toBe("[REDACTED]");
  });
});
