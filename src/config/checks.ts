/**
 * Checks of single values that know AWS's and libbeat's formats: role ARNs, regions, collector
 * hosts, file modes, encrypted secrets. Each throws an Error whose message is shown to the operator.
 */
import { SECRET_VARIABLES, shellWord } from "./permissions.ts";
import type { LogstashHost } from "./settings.ts";

// Standard, GovCloud, China and ISO partitions: two letters, words, a number (us-gov-west-1).
export const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const ROLE_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
export const ROLE_ARN_HINT = "a role ARN like arn:aws:iam::123456789012:role/s3beat-reader";

export function checkRoleArn(arn: string): string {
  if (!ROLE_ARN_RE.test(arn.trim())) {
    throw new Error(`expected ${ROLE_ARN_HINT} (arn:aws:iam::<12-digit account id>:role/<name>), got "${arn}"`);
  }
  return arn.trim();
}

const FILE_MODE_RE = /^(?:0o?)?([0-7]{1,4})$/i;
/** File mode as octal text (`"0600"`, `"600"`, `0o600`) or a number written with octal digits (600). */
export function parsePermissions(v: string | number): number {
  const m = FILE_MODE_RE.exec(String(v).trim());
  const mode = m ? parseInt(m[1]!, 8) : NaN;
  if (!(mode <= 0o777)) throw new Error(`expected an octal file mode like "0600", got ${JSON.stringify(v)}`);
  return mode;
}

/** Port of a `hosts` entry that names none: the Beats input's usual port. */
export const DEFAULT_LOGSTASH_PORT = 5044;
export const HOST_HINT = `expected "host:port" (e.g. "opencollector:5044"; the port defaults to ${DEFAULT_LOGSTASH_PORT})`;
const HOSTNAME_RE = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/** `host`, `host:port`, `[ipv6]` or `[ipv6]:port` → host and port (default 5044). */
export function parseLogstashHost(entry: string): LogstashHost {
  const text = entry.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new Error(`expected "host:port" without a scheme (the protocol is always Beats/lumberjack), got "${entry}"`);
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
  } else {
    const parts = text.split(":");
    if (parts.length > 2) throw new Error(`write an IPv6 address in brackets, e.g. "[::1]:${DEFAULT_LOGSTASH_PORT}", got "${entry}"`);
    host = parts[0]!;
    port = parts[1];
    if (!HOSTNAME_RE.test(host)) throw new Error(`${HOST_HINT}, got "${entry}"`);
  }
  if (port === undefined) return { host, port: DEFAULT_LOGSTASH_PORT };
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new Error(`port must be a number between 1 and 65535, got "${port}" in "${entry}"`);
  return { host, port: n };
}

// Values in this shape come from tooling that encrypts secrets in place (`2||base64…`).
export const ENCRYPTED_SECRET_RE = /^\d+\|\|/;

/** What to do about an encrypted `name` in `file`: the variable to use, the command that writes it, the value to set. */
export function encryptedSecretAdvice(name: "accessKeyID" | "secretAccessKey", file = "FILE"): string {
  const variable = SECRET_VARIABLES[name];
  return (
    `supply the plain value through an environment variable instead: write ${name}: \${${variable}} ` +
    `(s3beat migrate-config -c ${shellWord(file)} --secrets-from-env does it) and set ${variable} to the plain ${name === "accessKeyID" ? "access key ID" : "secret access key"}`
  );
}
