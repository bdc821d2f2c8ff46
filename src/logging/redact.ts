/**
 * Secret scrubbing applied to every log line and every error the CLI prints. Key-name redaction
 * alone misses secrets that end up inside messages (an SDK error echoing a header, a URL with a
 * presigned token), so the final text is scrubbed as well.
 */

const REDACTED = "[REDACTED]";
const registered = new Set<string>();

/** Registers a secret value (e.g. the configured secretAccessKey) so it is scrubbed wherever it appears. */
export function registerSecret(value: string | undefined): void {
  // Very short values would blank out ordinary words; real AWS secrets are 16+ characters.
  if (value !== undefined && value.length >= 8) registered.add(value);
}

const PATTERNS: Array<[RegExp, string]> = [
  // Access key ids: long-term (AKIA) and temporary (ASIA) and others of the documented prefixes.
  [/\b(?:AKIA|ASIA|AIDA|AROA|ANPA|ANVA|AGPA|AIPA)[A-Z0-9]{12,}\b/g, REDACTED],
  // Presigned URLs and SigV4 headers.
  [/(X-Amz-Security-Token=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/(X-Amz-Signature=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/(x-amz-security-token["']?\s*[:=]\s*["']?)[^"',\s}]+/gi, `$1${REDACTED}`],
  [/(Signature=)[0-9a-f]{64}/gi, `$1${REDACTED}`],
  // JSON/YAML-ish "secretAccessKey": "...", SessionToken=..., etc.
  // Only secret-like values: long and not a ${VAR} reference (prose such as "secretAccessKey: looks
  // encrypted" and the advice to use ${S3BEAT_SECRET_ACCESS_KEY} must stay readable).
  [/((?:secret_?access_?key|session_?token|aws_?secret[a-z_]*)["']?\s*[:=]\s*["']?)(?!\$\{)[^"',\s}]{16,}/gi, `$1${REDACTED}`],
];

export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of registered) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Key names whose values are never logged, whatever they contain. */
export const REDACTED_KEYS = [
  "accessKeyID",
  "accessKeyId",
  "AccessKeyId",
  "secretAccessKey",
  "SecretAccessKey",
  "sessionToken",
  "SessionToken",
  "credentials",
  "Credentials",
  "authorization",
  "Authorization",
];
