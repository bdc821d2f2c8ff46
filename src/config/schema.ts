/**
 * The shape of s3beat.yml as zod schemas (one TSDoc per option: meaning, unit, default, range), the
 * cross-field rules zod cannot express per field, and the mapping to the resolved `Settings`.
 * Input is the plain object load.ts builds from the YAML (dotted keys already nested, `${VAR}`
 * already expanded); output is `Settings` or every problem found, each located by its key path.
 */
import { z } from "zod";
import { BEAT_IDENTIFIER_RE, fullyQualifiedBeatName } from "./identity.ts";
import type { FileSelector, LogstashHost, LogstashOutputSettings, OutputSettings, Settings } from "./settings.ts";
import { SECRET_VARIABLES, shellWord } from "./permissions.ts";
import { formatByteSize, formatDuration, parseByteSize, parseDurationSeconds } from "./units.ts";

/** A finding located by key path (`s3beat.sqsQueues[1]`); load.ts adds the YAML line. */
export interface SchemaIssue {
  path: string;
  message: string;
}

export interface Validation {
  /** Present only when there are no errors. */
  settings?: Settings;
  errors: SchemaIssue[];
  warnings: SchemaIssue[];
  /** Paths of keys the schema does not know (kept in the file, ignored here). */
  unknownKeys: string[];
  /** The file's top-level `configVersion` (0 when absent); present only with `settings`. */
  configVersion?: number;
}

/** `["s3beat", "sqsQueues", 1]` → `s3beat.sqsQueues[1]`. */
export function pathToString(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? String(s) : `.${String(s)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Field builders. Booleans and integers also accept their text form, because `${VAR}` expansion
// always yields a string (`awsFlag: ${IN_AWS:false}`).

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs `fn` inside a zod transform, turning a thrown Error into an issue with its message. */
function via<I, O>(fn: (v: I) => O) {
  return (v: I, ctx: z.RefinementCtx<I>): O => {
    try {
      return fn(v);
    } catch (e) {
      ctx.issues.push({ code: "custom", message: errorText(e), input: v });
      return z.NEVER;
    }
  };
}

const textToBool = (v: unknown): unknown =>
  typeof v === "string" && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === "true" : v;
const textToInt = (v: unknown): unknown => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v);

const flag = () => z.preprocess(textToBool, z.boolean({ error: "expected true or false" }));

function int(min: number, max: number) {
  const range = `must be between ${min} and ${max}`;
  return z.preprocess(textToInt, z.int({ error: "expected a whole number" }).min(min, range).max(max, range));
}

function duration(min: number, max: number) {
  const check = (s: number): number => {
    if (s < min || s > max) {
      throw new Error(`must be between ${formatDuration(min)} and ${formatDuration(max)}, got ${formatDuration(s)}`);
    }
    return s;
  };
  return z
    .union([z.string(), z.number()], { error: "expected a duration like 30s, 5m, 1h30m or a number of seconds" })
    .transform(via((v: string | number) => check(parseDurationSeconds(v))));
}

function byteSize(min: number, max: number) {
  const check = (b: number): number => {
    if (b < min || b > max) throw new Error(`must be between ${formatByteSize(min)} and ${formatByteSize(max)}`);
    return b;
  };
  return z
    .union([z.string(), z.number()], { error: "expected a size like 512, 64KiB, 10MiB or 1GiB" })
    .transform(via((v: string | number) => check(parseByteSize(v))));
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` });
}

/** A string where `""` (or no key) means "not set". */
const optionalText = z
  .string({ error: "expected a string" })
  .optional()
  .transform((s) => (s === "" ? undefined : s));

function compileRegex(source: string | undefined): RegExp | undefined {
  if (source === undefined || source === "") return undefined;
  try {
    return new RegExp(source);
  } catch (e) {
    throw new Error(`invalid regular expression: ${errorText(e).replace(/^Invalid regular expression: /, "")}`);
  }
}
const regex = z.string({ error: "expected a regular expression (as a string)" }).optional().transform(via(compileRegex));

function checkEndpoint(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new Error(`expected an http:// or https:// URL, got "${url}"`);
  }
  return url;
}
const endpoint = optionalText.transform(via(checkEndpoint));

// Standard, GovCloud, China and ISO partitions: two letters, words, a number (us-gov-west-1).
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
// SQS: up to 80 characters, the ".fifo" suffix of a FIFO queue included.
const QUEUE_NAME_RE = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;
const QUEUE_HINT = `expected "name:region" (e.g. "my-queue:us-east-1") or a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)`;

const ROLE_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
const ROLE_ARN_HINT = "a role ARN like arn:aws:iam::123456789012:role/s3beat-reader";

export function checkRoleArn(arn: string): string {
  if (!ROLE_ARN_RE.test(arn.trim())) {
    throw new Error(`expected ${ROLE_ARN_HINT} (arn:aws:iam::<12-digit account id>:role/<name>), got "${arn}"`);
  }
  return arn.trim();
}

export function checkQueue(entry: string): string {
  if (/^https?:\/\//i.test(entry)) {
    let segments: string[] = [];
    try {
      segments = new URL(entry).pathname.split("/").filter(Boolean);
    } catch {
      // fall through to the error below
    }
    if (segments.length !== 2) throw new Error(`${QUEUE_HINT}; this URL has no /ACCOUNT/NAME path`);
    return entry;
  }
  const colon = entry.lastIndexOf(":");
  if (colon < 0) throw new Error(`${QUEUE_HINT}, got "${entry}"`);
  const name = entry.slice(0, colon);
  const region = entry.slice(colon + 1);
  if (!QUEUE_NAME_RE.test(name)) {
    throw new Error(`queue name "${name}" is not valid: up to 80 letters, digits, - and _ (FIFO names end in .fifo)`);
  }
  if (!REGION_RE.test(region)) throw new Error(`"${region}" is not an AWS region like us-east-1`);
  return entry;
}

/** Messages for a mapping-valued key: required sections say what to add, others what was wrong. */
const section = (missing?: string) => (iss: { code: string; input?: unknown }) =>
  iss.code !== "invalid_type" ? undefined : iss.input === undefined ? missing : "expected a mapping of keys";

const secret = z.string({ error: "expected a string (quote the value, or better use ${ENV_VAR})" }).optional();

// ---------------------------------------------------------------------------------------------
// The file's shape. TSDoc here is the reference for the README's configuration reference.

const H = 3600;
const MIB = 1024 ** 2;
const DECODERS = ["lines", "ndjson", "json"] as const;

/** A regex in a file selector, where `""` must stay distinguishable from "not set": null = explicitly off. */
const regexOrOff = z
  .string({ error: "expected a regular expression (as a string)" })
  .optional()
  .transform(via((s: string | undefined) => (s === "" ? null : compileRegex(s))));

const endpointsShape = {
  /** Custom SQS endpoint URL (VPC endpoint, FIPS, emulator). `""` (default): the regional AWS endpoint. */
  sqs: endpoint,
  /** Custom S3 endpoint URL (VPC endpoint, S3-compatible store, emulator). `""` (default): AWS. */
  s3: endpoint,
  /** Custom STS endpoint URL. `""` (default): the regional STS endpoint. */
  sts: endpoint,
};

const multilineShape = {
  /** Regex that marks continuation lines (with `negate`, lines NOT matching it). `""` (default): multiline off. */
  pattern: regex,
  /** Invert `pattern`. Default false. */
  negate: flag().default(false),
  /** `after` (default): continuation lines are appended to the line before them; `before`: to the line after. */
  match: oneOf(["after", "before"]).default("after"),
  /** Lines kept per group; the rest are dropped and the event flagged truncated. Default 500, 1–100000. */
  maxLines: int(1, 100_000).default(500),
};

const retryBackoffShape = {
  /** Delay before a failed message is retried, doubling per receive. Duration, default 30s, 0–12h. */
  init: duration(0, 12 * H).default(30),
  /** Cap of that delay. Duration, default 15m, 0–12h (SQS's visibility limit), and ≥ `init`. */
  max: duration(0, 12 * H).default(15 * 60),
};

/** A `fileSelectors[]` entry. Every key but keyRegex is optional and inherits the top-level value. */
const fileSelectorShape = {
  /** JS regex on the object key; the first selector that matches decides how the object is decoded. Required. */
  keyRegex: z
    .string({ error: (iss) => (iss.input === undefined ? "required: the regex of the object keys this selector applies to" : "expected a regular expression (as a string)") })
    .min(1, "must not be empty")
    .transform(via((s: string) => compileRegex(s)!)),
  /** As the top-level `decoder`. */
  decoder: oneOf(DECODERS).optional(),
  /** As the top-level key; `""` switches off an inherited value. */
  expandEventListFromField: z.string({ error: "expected a string" }).optional(),
  /** As the top-level `multiline.*`, field by field; `pattern: ""` switches off an inherited pattern. */
  multiline: z
    .strictObject(
      {
        pattern: regexOrOff,
        negate: flag().optional(),
        match: oneOf(["after", "before"]).optional(),
        maxLines: int(1, 100_000).optional(),
      },
      { error: section() },
    )
    .optional(),
  /** As the top-level `maxEventBytes`. */
  maxEventBytes: byteSize(1024, 100 * MIB).optional(),
};

const s3beatShape = {
  /** Queues to long-poll: `"name:region"` or full queue URLs. Required, at least one, no duplicates. */
  sqsQueues: z
    .preprocess(
      (v) => (typeof v === "string" ? [v] : v), // a lone string is a one-queue list
      z
        .array(z.string({ error: QUEUE_HINT }).transform(via(checkQueue)), {
          error: section("required: list the SQS queues to read, as \"name:region\" or queue URLs"),
        })
        .min(1, "list at least one queue (\"name:region\" or a queue URL)"),
    )
    .superRefine((queues, ctx) => {
      queues.forEach((q, i) => {
        if (queues.indexOf(q) !== i) ctx.issues.push({ code: "custom", message: "listed twice", path: [i], input: q });
      });
    }),
  /** true: running inside AWS, use the AWS SDK default credential chain. Default false. */
  awsFlag: flag().default(false),
  /** Base IAM user's access key ID (when awsFlag is false). Secret: use `${ENV_VAR}`. Give both keys or neither. */
  accessKeyID: secret,
  /** Base IAM user's secret access key (when awsFlag is false). Secret: use `${ENV_VAR}`. */
  secretAccessKey: secret,
  /** y/N at setup. true: every SQS and S3 call for a queue uses temporary credentials of that queue's role (sts:AssumeRole). Default false. */
  assumeRoleFlag: flag().default(false),
  /** Role ARNs to assume: one for every queue, or one per `sqsQueues` entry in order. Default none. */
  roleArn: z
    .preprocess(
      (v) => (typeof v === "string" ? (v === "" ? [] : [v]) : v), // a lone string is a one-role list
      z.array(z.string({ error: ROLE_ARN_HINT }).transform(via(checkRoleArn)), { error: `expected a list of role ARNs (${ROLE_ARN_HINT})` }),
    )
    .default([]),
  /** Lifetime asked for in sts:AssumeRole (DurationSeconds). Duration, default 1h, 15m–12h, and at most the role's MaxSessionDuration. */
  sessionDuration: duration(15 * 60, 12 * H).default(H),
  /** RoleSessionName: shows in CloudTrail. Default `s3beat`; 2–64 of letters, digits and `_+=,.@-`. */
  roleSessionName: z
    .string({ error: "expected a session name" })
    .regex(/^[\w+=,.@-]{2,64}$/, "must be 2–64 characters of letters, digits and _+=,.@-")
    .default("s3beat"),
  /** The sts:ExternalId the role's trust policy demands. `""` (default): none. 2–1224 of letters, digits and `_+=,.@:/-`. */
  externalId: optionalText.refine((v) => v === undefined || /^[\w+=,.@:\/-]{2,1224}$/.test(v), "must be 2–1224 characters of letters, digits and _+=,.@:/-"),
  /** true: no automatic credential refresh and retry after an ExpiredToken/invalid-token answer. Default false. */
  disableAuthRetry: flag().default(false),
  /** LogRhythm heartbeats off. Default false. */
  heartbeatdisabled: flag().default(false),
  /** Time between heartbeat events. Duration or seconds, default 60, 1s–1h. */
  heartbeatinterval: duration(1, H).default(60),
  /**
   * The beat's identifier: the beat is named `s3beat_<beatIdentifier>` on events and heartbeats
   * (unless $FullyQualifiedBeatName is set, which is used as given). 1–12 letters, digits, `_`, `-`.
   * `""` (default): the name is `s3beat`.
   */
  beatIdentifier: z
    .union([z.string(), z.number().int().nonnegative()], { error: "expected a string" })
    .optional()
    .transform((v) => (v === undefined || v === "" ? undefined : String(v)))
    .refine((v) => v === undefined || BEAT_IDENTIFIER_RE.test(v), "must be 1–12 characters of letters, digits, _ and - (the beat is named s3beat_<beatIdentifier>)"),
  /** Region for clients whose queue entry does not name one. Default `us-east-1`. */
  region: z
    .string({ error: "expected a region name like us-east-1" })
    .regex(REGION_RE, "expected an AWS region like us-east-1")
    .default("us-east-1"),
  /** Custom endpoint URLs; each `""` (default) means the AWS default. */
  endpoints: z.strictObject(endpointsShape, { error: section() }).prefault({}),
  /** Address buckets as `endpoint/bucket` instead of `bucket.endpoint` (most S3-compatible stores need it). Default false. */
  s3ForcePathStyle: flag().default(false),
  /** JS regex: only object keys matching it are read. `""` (default): all keys. */
  keyInclude: regex,
  /** JS regex: object keys matching it are skipped (e.g. `CloudTrail-Digest/`). `""` (default): none. */
  keyExclude: regex,
  /** How objects are split into events: `lines` (default), `ndjson` or `json`. */
  decoder: oneOf(DECODERS).default("lines"),
  /** json decoder only: one event per element of this top-level array field (`Records` for CloudTrail). `""` (default): off. */
  expandEventListFromField: optionalText,
  /** Filebeat-style multiline grouping (lines decoder only). */
  multiline: z.strictObject(multilineShape, { error: section() }).prefault({}),
  /** Events longer than this AS SHIPPED (JSON-escaped message bytes) are truncated on a character boundary and flagged. Size, default 10MiB, 1KiB–100MiB. */
  maxEventBytes: byteSize(1024, 100 * MIB).default(10 * MIB),
  /**
   * Decompressed bytes read from one object at most. Size, default 10GiB, 1MiB–1024GiB. Past it,
   * reading stops: the events before are shipped, the object is counted too_large and logged, and
   * its message is deleted (not retried).
   */
  maxObjectBytes: byteSize(MIB, 1024 * 1024 * MIB).default(10 * 1024 * MIB),
  /**
   * Decompressed/compressed size ratio a gzip object may reach, judged once 64MiB were
   * decompressed; past it the object is stopped like one past maxObjectBytes (a decompression
   * bomb). Whole number, default 1000, 10–100000; deflate cannot exceed about 1032, so 1033 or
   * more turns the check off.
   */
  maxCompressionRatio: int(10, 100_000).default(1000),
  /** Per-key decoder settings, first match wins (Filebeat's file_selectors). Default none. */
  fileSelectors: z
    .array(z.strictObject(fileSelectorShape, { error: section() }), { error: "expected a list of selectors" })
    .default([]),
  /** SQS messages processed at once by this process. Default 10, 1–100. */
  maxMessagesInFlight: int(1, 100).default(10),
  /** Of those, objects of 256KiB or more (as stored) read at once: reading them is CPU-bound, so more only adds memory. Default 2, 1–100. */
  maxLargeObjectsInFlight: int(1, 100).default(2),
  /** Visibility timeout asked for on receive, re-extended every half of it while in progress. Duration, default 5m, 2s–12h; below 30s is meant for tests. */
  visibilityTimeout: duration(2, 12 * H).default(5 * 60),
  /** ReceiveMessage long-poll wait. Duration, default 20s, 0–20s. */
  sqsWaitTime: duration(0, 20).default(20),
  /** On SIGTERM, how long in-flight messages may finish before they are released; the process exits within this + 5s. Duration, default 5s (so `docker stop`'s 10 s suffice), 0–10m. */
  shutdownGracePeriod: duration(0, 10 * 60).default(5),
  /** Redelivery backoff of failed messages. */
  retryBackoff: z.strictObject(retryBackoffShape, { error: section() }).prefault({}),
};

/** An output section counts as enabled unless it says `enabled: false`. */
const enabledFlag = flag().default(true);

const consoleShape = {
  /** Default true once the section exists. */
  enabled: enabledFlag,
  /** Indented JSON instead of one line per event. Default false. */
  pretty: flag().default(false),
};

const FILE_MODE_RE = /^(?:0o?)?([0-7]{1,4})$/i;
/** File mode as octal text (`"0600"`, `"600"`, `0o600`) or a number written with octal digits (600). */
function parsePermissions(v: string | number): number {
  const m = FILE_MODE_RE.exec(String(v).trim());
  const mode = m ? parseInt(m[1]!, 8) : NaN;
  if (!(mode <= 0o777)) throw new Error(`expected an octal file mode like "0600", got ${JSON.stringify(v)}`);
  return mode;
}

const fileShape = {
  /** Default true once the section exists. */
  enabled: enabledFlag,
  /** Directory the files are written to (created if missing). Required when enabled. */
  path: optionalText,
  /** Name of the active file; rotated ones get `.1`, `.2`, … Default `s3beat`. */
  filename: z
    .string({ error: "expected a file name" })
    .regex(/^[^/\\]+$/, "expected a plain file name, without / (put the directory in path)")
    .default("s3beat"),
  /** Rotate before the file would grow past this many KiB. Default 10240 (10MiB), 1–10485760. */
  rotate_every_kb: int(1, 10 * 1024 * 1024).default(10240),
  /** Files kept, the active one included. Default 7, 2–1024. */
  number_of_files: int(2, 1024).default(7),
  /** Mode of the files created, octal. Default "0600". */
  permissions: z
    .union([z.string(), z.number()], { error: 'expected an octal file mode like "0600"' })
    .transform(via(parsePermissions))
    .default(0o600),
};

/** Port of a `hosts` entry that names none: the Beats input's usual port. */
export const DEFAULT_LOGSTASH_PORT = 5044;
const HOST_HINT = `expected "host:port" (e.g. "opencollector:5044"; the port defaults to ${DEFAULT_LOGSTASH_PORT})`;
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

const VERIFICATION_MODES = ["full", "strict", "certificate", "none"] as const;

/** A list that may be written as a lone string. */
const stringList = (error: string) =>
  z.preprocess((v) => (typeof v === "string" ? (v === "" ? [] : [v]) : v), z.array(z.string({ error }).min(1, "must not be empty"), { error }));

const logstashSslShape = {
  /** TLS to the collector. Default true once the ssl section exists. */
  enabled: flag().default(true),
  /** PEM files of the CAs that sign the collector's certificate (PEM text also accepted). Default: the system's CAs. */
  certificate_authorities: stringList("expected a list of PEM file paths").default([]),
  /** PEM file of the client certificate, for collectors that demand one. Give it with `key`, or neither. */
  certificate: optionalText,
  /** PEM file of the client certificate's private key (unencrypted). */
  key: optionalText,
  /** `full` (default) and `strict`: chain and host name; `certificate`: chain only; `none`: no checks (not for production). */
  verification_mode: oneOf(VERIFICATION_MODES).default("full"),
};

const logstashBackoffShape = {
  /** Wait before reconnecting after a failure, doubling per failure in a row. Duration, default 1s, 1s–1h. */
  init: duration(1, H).default(1),
  /** Cap of that wait. Duration, default 60s, 1s–1h, and ≥ `init`. */
  max: duration(1, H).default(60),
};

const logstashShape = {
  /** Default true once the section exists. */
  enabled: enabledFlag,
  /** The collectors' Beats inputs, `"host:port"` (port default 5044). Required when enabled, at least one. */
  hosts: z
    .preprocess(
      (v) => (typeof v === "string" ? [v] : v), // a lone string is a one-host list
      z.array(z.string({ error: HOST_HINT }).transform(via(parseLogstashHost)), { error: `expected a list of ${HOST_HINT.replace(/^expected /, "")}` }),
    )
    .superRefine((hosts, ctx) => {
      const keys = hosts.map((h) => `${h.host}:${h.port}`);
      keys.forEach((k, i) => {
        if (keys.indexOf(k) !== i) ctx.issues.push({ code: "custom", message: "listed twice", path: [i], input: k });
      });
    })
    .optional(),
  /** true: spread windows over every host; false (default): one host at a time, another after a failure. */
  loadbalance: flag().default(false),
  /** zlib level of compressed frames, 0 (off) – 9. Default 3. */
  compression_level: int(0, 9).default(3),
  /** The largest window, in events. Default 2048, 1–65535. */
  bulk_max_size: int(1, 65535).default(2048),
  /** Windows sent before waiting for the oldest one's ACK, beyond the first (libbeat's option). Default 2, 0 (one at a time) – 16. */
  pipelining: int(0, 16).default(2),
  /** Without an ACK or keep-alive for this long, the connection is dropped and the events re-sent; also the connect timeout. Duration, default 30s, 1s–1h. */
  timeout: duration(1, H).default(30),
  /** Reconnect delays after a failure. */
  backoff: z.strictObject(logstashBackoffShape, { error: section() }).prefault({}),
  /** Reconnect once a connection is this old (lets a load balancer in front of collectors rebalance). Duration, default 0 (off), 0–24h. */
  ttl: duration(0, 24 * H).default(0),
  /** TLS to the collector; absent or `enabled: false`: plain TCP. */
  ssl: z.strictObject(logstashSslShape, { error: section() }).optional(),
};

const outputShape = {
  /** Events as JSON lines on stdout. */
  console: z.strictObject(consoleShape, { error: section() }).optional(),
  /** Events as JSON lines in rotated files. */
  file: z.strictObject(fileShape, { error: section() }).optional(),
  /** Events to Logstash / the LogRhythm Open Collector over the Beats (lumberjack v2) protocol. */
  logstash: z.strictObject(logstashShape, { error: section() }).optional(),
};

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

const loggingShape = {
  /** trace, debug, info (default), warn (libbeat's `warning` is accepted), error, fatal. */
  level: z.preprocess((v) => (v === "warning" ? "warn" : v), oneOf(LEVELS)).default("info"),
  /** `json` (ECS field names, one object per line), `pretty` (for a terminal) or `auto` (default: pretty when stderr is a terminal, else json). Logs always go to stderr. */
  format: oneOf(["auto", "json", "pretty"]).default("auto"),
  metrics: z
    .strictObject(
      {
        /** The periodic summary line (libbeat's name). Default true. */
        enabled: flag().default(true),
        /** How often the summary is logged and the queues' backlog read. Duration, default 30s, 1s–24h (0 means off, as enabled: false). */
        period: duration(0, 24 * H).default(30),
      },
      { error: section() },
    )
    .prefault({}),
};

/** Default port of the monitoring endpoint (libbeat's). */
export const DEFAULT_HTTP_PORT = 5066;

const httpShape = {
  /** The monitoring endpoint (/, /healthz, /readyz, /metrics). Default false: no listening socket. */
  enabled: flag().default(false),
  /** Address to bind. Default 127.0.0.1 (this host only); 0.0.0.0 in a container whose probes come from outside. */
  host: z.string({ error: "expected a host name or IP address" }).min(1, "must not be empty").default("127.0.0.1"),
  /** TCP port. Default 5066, 0 (any free port)–65535. */
  port: int(0, 65535).default(DEFAULT_HTTP_PORT),
};

export const configSchema = z.strictObject({
  /** Schema version of the file, written by `s3beat migrate-config`. Whole number ≥ 0; absent = 0. */
  configVersion: z
    .preprocess(textToInt, z.int({ error: "expected a whole number (s3beat migrate-config manages it)" }).min(0, "must be 0 or more"))
    .optional(),
  s3beat: z.strictObject(s3beatShape, {
    error: section("missing section: add s3beat: with at least sqsQueues"),
  }),
  output: z.strictObject(outputShape, { error: section() }).optional(),
  logging: z.strictObject(loggingShape, { error: section() }).prefault({}),
  http: z.strictObject(httpShape, { error: section() }).prefault({}),
});

export type ConfigYaml = z.output<typeof configSchema>;

// ---------------------------------------------------------------------------------------------
// Validation: per-field (zod), unknown keys, cross-field rules, mapping.

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const rec = (v: unknown): Rec => (isRec(v) ? v : {});

/** The value a field schema gives `input`, or undefined when that field is itself invalid. */
function peek<T>(schema: z.ZodType<T>, input: unknown): T | undefined {
  const r = schema.safeParse(input);
  return r.success ? r.data : undefined;
}

/**
 * `key:` with no value means "not set" (the default applies), except an output section, where
 * `output.console:` alone enables it, as in libbeat.
 */
function dropNulls(raw: Rec): Rec {
  const walk = (v: unknown, isOutput: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (!isRec(v)) return v;
    const out: Rec = {};
    for (const [k, x] of Object.entries(v)) {
      // defineProperty: a key named __proto__ must stay an ordinary key.
      if (x !== null || isOutput) Object.defineProperty(out, k, { value: x === null ? {} : walk(x, false), enumerable: true, writable: true });
    }
    return out;
  };
  const out = walk(raw, false) as Rec;
  if (isRec(raw.output)) out.output = walk(raw.output, true);
  return out;
}

/** A copy of `raw` without the keys at `paths` (paths from zod's unrecognized_keys issues). */
function without(raw: Rec, paths: PropertyKey[][]): Rec {
  const copy = structuredClone(raw);
  for (const p of paths) {
    let obj: unknown = copy;
    for (const seg of p.slice(0, -1)) obj = (obj as Rec)[seg as string];
    if (isRec(obj)) delete obj[p[p.length - 1] as string];
  }
  return copy;
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

/** Rules spanning several keys. They read the raw values so they run even when other keys are invalid. */
function crossChecks(raw: Rec, sourceName?: string): { errors: SchemaIssue[]; warnings: SchemaIssue[] } {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const s = rec(raw.s3beat);
  const given = (k: "accessKeyID" | "secretAccessKey") => {
    const v = peek(s3beatShape[k], s[k]);
    return v !== undefined && v !== "" ? v : undefined;
  };

  const id = given("accessKeyID");
  const key = given("secretAccessKey");
  for (const [name, v] of [["accessKeyID", id], ["secretAccessKey", key]] as const) {
    if (v !== undefined && ENCRYPTED_SECRET_RE.test(v)) {
      errors.push({ path: `s3beat.${name}`, message: `looks encrypted by LogRhythm tooling, which s3beat cannot decrypt: ${encryptedSecretAdvice(name, sourceName)}` });
    }
  }
  const awsFlag = peek(s3beatShape.awsFlag, s.awsFlag);
  if (awsFlag === false && (id === undefined) !== (key === undefined)) {
    const [present, absent] = id !== undefined ? ["accessKeyID", "secretAccessKey"] : ["secretAccessKey", "accessKeyID"];
    errors.push({
      path: `s3beat.${present}`,
      message: `is set but ${absent} is not: give both keys, or neither (awsFlag: true uses the AWS default credential chain)`,
    });
  }
  if (awsFlag === true) {
    for (const [name, v] of [["accessKeyID", id], ["secretAccessKey", key]] as const) {
      if (v !== undefined) warnings.push({ path: `s3beat.${name}`, message: "ignored because awsFlag is true" });
    }
  }

  const roles = peek(s3beatShape.roleArn, s.roleArn);
  const assume = peek(s3beatShape.assumeRoleFlag, s.assumeRoleFlag);
  const queues = peek(s3beatShape.sqsQueues, s.sqsQueues);
  if (assume === true && roles !== undefined && roles.length === 0) {
    errors.push({
      path: s.roleArn === undefined ? "s3beat.assumeRoleFlag" : "s3beat.roleArn",
      message: `assumeRoleFlag is true but roleArn is empty: list the role to assume, e.g. roleArn: ["arn:aws:iam::123456789012:role/s3beat-reader"]`,
    });
  }
  if (assume === true && roles && queues && roles.length > 1 && roles.length !== queues.length) {
    errors.push({
      path: "s3beat.roleArn",
      message: `lists ${roles.length} roles for ${queues.length} queues: give one role for every queue, or exactly one per sqsQueues entry, in the same order`,
    });
  }
  if (assume === false && roles && roles.length > 0) {
    warnings.push({ path: "s3beat.roleArn", message: "ignored because assumeRoleFlag is false" });
  }

  errors.push(...decoderChecks(s));

  const backoff = rec(s.retryBackoff);
  const init = peek(retryBackoffShape.init, backoff.init);
  const max = peek(retryBackoffShape.max, backoff.max);
  if (init !== undefined && max !== undefined && max < init) {
    errors.push({
      path: "s3beat.retryBackoff.max",
      message: `must be at least retryBackoff.init (${formatDuration(init)}), got ${formatDuration(max)}`,
    });
  }

  const outputs = outputChecks(raw);
  errors.push(...outputs.errors);
  warnings.push(...outputs.warnings);
  return { errors, warnings };
}

/** What a decoder rule needs to know about one option: its value, and whether it was inherited. */
interface Resolved<T> {
  value: T | undefined;
  inherited: boolean;
}

/**
 * expandEventListFromField needs decoder json and multiline needs decoder lines, at the top level and
 * in each file selector after inheritance (where an inherited option can be switched off with "").
 */
function decoderChecks(s: Rec): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const top = {
    decoder: peek(s3beatShape.decoder, s.decoder),
    expand: peek(s3beatShape.expandEventListFromField, s.expandEventListFromField),
    pattern: peek(multilineShape.pattern, rec(s.multiline).pattern),
  };
  const check = (at: string, decoder: string | undefined, expand: Resolved<unknown>, pattern: Resolved<unknown>) => {
    if (decoder === undefined) return;
    const rule = (option: string, needs: string, r: Resolved<unknown>) => {
      if (decoder === needs || r.value === undefined) return;
      issues.push(
        r.inherited
          ? {
              path: `${at}.decoder`,
              message: `decoder ${decoder} cannot use the ${option} inherited from s3beat (it needs decoder: ${needs}); set ${option}: "" in this selector`,
            }
          : { path: `${at}.${option}`, message: `only applies to decoder: ${needs} (decoder is ${decoder}); remove it or change the decoder` },
      );
    };
    rule("expandEventListFromField", "json", expand);
    rule("multiline.pattern", "lines", pattern);
  };
  check("s3beat", top.decoder, { value: top.expand, inherited: false }, { value: top.pattern, inherited: false });

  const selectors = Array.isArray(s.fileSelectors) ? s.fileSelectors : [];
  selectors.forEach((raw, i) => {
    const sel = rec(raw);
    const ml = rec(sel.multiline);
    // An own value that is invalid is zod's to report; here it just resolves to undefined.
    const own = <T>(has: boolean, value: () => T | undefined, inherited: T | undefined): Resolved<T> =>
      has ? { value: value(), inherited: false } : { value: inherited, inherited: true };
    const decoder = "decoder" in sel ? peek(fileSelectorShape.decoder, sel.decoder) : top.decoder;
    const expand = own("expandEventListFromField" in sel, () => peek(optionalText, sel.expandEventListFromField), top.expand);
    const pattern = own("pattern" in ml, () => peek(regexOrOff, ml.pattern) ?? undefined, top.pattern);
    check(`s3beat.fileSelectors[${i}]`, decoder, expand, pattern);
  });
  return issues;
}

const OUTPUTS = ["logstash", "console", "file"] as const;

function outputChecks(raw: Rec): { errors: SchemaIssue[]; warnings: SchemaIssue[] } {
  const out = rec(raw.output);
  const enabled = (name: string) => isRec(out[name]) && peek(enabledFlag, out[name].enabled) !== false;
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  if (enabled("logstash")) {
    const checked = logstashChecks(rec(out.logstash));
    errors.push(...checked.errors);
    warnings.push(...checked.warnings);
  }
  const path = rec(out.file).path;
  if (enabled("file") && (path === undefined || path === "")) {
    errors.push({ path: "output.file.path", message: "required: the directory to write the files to" });
  }
  const active = OUTPUTS.filter(enabled);
  if (active.length > 1) {
    errors.push({
      path: "output",
      message: `only one output may be enabled, found ${active.map((n) => `output.${n}`).join(" and ")}; set enabled: false on all but one`,
    });
  } else if (active.length === 0) {
    errors.push({ path: "output", message: "no output configured: add output.logstash, output.console or output.file" });
  }
  return { errors, warnings };
}

/** output.logstash rules spanning keys: hosts required, backoff order, client certificate and key together. */
function logstashChecks(ls: Rec): { errors: SchemaIssue[]; warnings: SchemaIssue[] } {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const at = "output.logstash";
  if (ls.hosts === undefined) {
    errors.push({ path: `${at}.hosts`, message: `required: list the collectors' Beats inputs, e.g. hosts: ["opencollector:${DEFAULT_LOGSTASH_PORT}"]` });
  } else if (peek(logstashShape.hosts, ls.hosts)?.length === 0) {
    errors.push({ path: `${at}.hosts`, message: `list at least one host, e.g. hosts: ["opencollector:${DEFAULT_LOGSTASH_PORT}"]` });
  }
  const backoff = rec(ls.backoff);
  const init = peek(logstashBackoffShape.init, backoff.init);
  const max = peek(logstashBackoffShape.max, backoff.max);
  if (init !== undefined && max !== undefined && max < init) {
    errors.push({ path: `${at}.backoff.max`, message: `must be at least backoff.init (${formatDuration(init)}), got ${formatDuration(max)}` });
  }
  const ssl = rec(ls.ssl);
  if (isRec(ls.ssl) && peek(logstashSslShape.enabled, ssl.enabled) !== false) {
    const cert = peek(logstashSslShape.certificate, ssl.certificate);
    const key = peek(logstashSslShape.key, ssl.key);
    if ((cert === undefined) !== (key === undefined)) {
      const [present, absent] = cert !== undefined ? ["certificate", "key"] : ["key", "certificate"];
      errors.push({ path: `${at}.ssl.${present}`, message: `is set but ssl.${absent} is not: a client certificate needs both the certificate and its key` });
    }
    if (peek(logstashSslShape.verification_mode, ssl.verification_mode) === "none") {
      warnings.push({ path: `${at}.ssl.verification_mode`, message: "none: the collector's certificate is not checked; use it only for tests" });
    }
  }
  return { errors, warnings };
}

function toLogstash(o: z.output<z.ZodObject<typeof logstashShape>>): LogstashOutputSettings {
  const ssl = o.ssl?.enabled
    ? compact({
        certificateAuthorities: o.ssl.certificate_authorities,
        certificate: o.ssl.certificate,
        key: o.ssl.key,
        verificationMode: o.ssl.verification_mode,
      })
    : undefined;
  return compact({
    kind: "logstash" as const,
    hosts: o.hosts!, // crossChecks made sure they are there
    loadbalance: o.loadbalance,
    compressionLevel: o.compression_level,
    bulkMaxSize: o.bulk_max_size,
    pipelining: o.pipelining,
    timeoutSeconds: o.timeout,
    backoffInitSeconds: o.backoff.init,
    backoffMaxSeconds: o.backoff.max,
    ttlSeconds: o.ttl,
    ssl,
  });
}

function toOutput(o: NonNullable<ConfigYaml["output"]>): OutputSettings {
  if (o.logstash?.enabled) return toLogstash(o.logstash);
  if (o.file?.enabled) {
    return {
      kind: "file",
      path: o.file.path!, // crossChecks made sure it is there
      filename: o.file.filename,
      rotateEveryBytes: o.file.rotate_every_kb * 1024,
      numberOfFiles: o.file.number_of_files,
      permissions: o.file.permissions,
    };
  }
  return { kind: "console", pretty: o.console?.pretty ?? false };
}

/** Drops keys whose value is undefined, so optional settings are absent rather than present-but-undefined. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

type SelectorYaml = ConfigYaml["s3beat"]["fileSelectors"][number];

/** A selector's decoder settings: its own values where given, the top-level ones elsewhere. */
function toSelector(sel: SelectorYaml, top: ConfigYaml["s3beat"]): FileSelector {
  const m = { ...top.multiline, ...compact(sel.multiline ?? {}) };
  const expand = sel.expandEventListFromField ?? top.expandEventListFromField;
  const pattern = m.pattern ?? undefined; // null: switched off in the selector
  return compact({
    keyRegex: sel.keyRegex,
    decoder: sel.decoder ?? top.decoder,
    expandEventListFromField: expand || undefined,
    multiline: pattern && { pattern, negate: m.negate, match: m.match, maxLines: m.maxLines },
    maxEventBytes: sel.maxEventBytes ?? top.maxEventBytes,
  });
}

export function toSettings(c: ConfigYaml, env: NodeJS.ProcessEnv = process.env): Settings {
  const s = c.s3beat;
  const m = s.multiline;
  return {
    s3beat: compact({
      sqsQueues: s.sqsQueues,
      awsFlag: s.awsFlag,
      accessKeyId: s.accessKeyID || undefined,
      secretAccessKey: s.secretAccessKey || undefined,
      heartbeatDisabled: s.heartbeatdisabled,
      heartbeatIntervalSeconds: s.heartbeatinterval,
      beatIdentifier: fullyQualifiedBeatName(s.beatIdentifier, env),
      assumeRoleFlag: s.assumeRoleFlag,
      roleArns: s.roleArn,
      sessionDurationSeconds: s.sessionDuration,
      roleSessionName: s.roleSessionName,
      externalId: s.externalId,
      disableAuthRetry: s.disableAuthRetry,
      region: s.region,
      endpoints: compact({ ...s.endpoints }),
      s3ForcePathStyle: s.s3ForcePathStyle,
      keyInclude: s.keyInclude,
      keyExclude: s.keyExclude,
      decoder: s.decoder,
      expandEventListFromField: s.expandEventListFromField,
      multiline: m.pattern && { pattern: m.pattern, negate: m.negate, match: m.match, maxLines: m.maxLines },
      maxEventBytes: s.maxEventBytes,
      maxObjectBytes: s.maxObjectBytes,
      maxCompressionRatio: s.maxCompressionRatio,
      fileSelectors: s.fileSelectors.map((sel) => toSelector(sel, s)),
      maxMessagesInFlight: s.maxMessagesInFlight,
      maxLargeObjectsInFlight: s.maxLargeObjectsInFlight,
      visibilityTimeoutSeconds: s.visibilityTimeout,
      waitTimeSeconds: s.sqsWaitTime,
      shutdownGracePeriodSeconds: s.shutdownGracePeriod,
      retryBackoffInitSeconds: s.retryBackoff.init,
      retryBackoffMaxSeconds: s.retryBackoff.max,
    }),
    output: toOutput(c.output ?? {}),
    logging: {
      level: c.logging.level,
      format: c.logging.format,
      metricsEnabled: c.logging.metrics.enabled && c.logging.metrics.period > 0,
      metricsPeriodSeconds: c.logging.metrics.period > 0 ? c.logging.metrics.period : 30,
    },
    http: { enabled: c.http.enabled, host: c.http.host, port: c.http.port },
  };
}

/** LogRhythm's names of two settings, read as aliases so that an unmigrated file still runs. */
const LEGACY_NAMES = [
  ["assumeRoleArn", "roleArn"],
  ["stsCredsExpirationTime", "sessionDuration"],
] as const;

interface Renamed {
  raw: Rec;
  errors: SchemaIssue[];
  warnings: SchemaIssue[];
  /** Puts an issue found under a new name back on the legacy key the file actually has. */
  back(issue: SchemaIssue): SchemaIssue;
}

/** Moves `s3beat.<legacy name>` to its new name; both set is an error (which one is right is the user's call). */
function renameLegacy(raw: Rec): Renamed {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const moved: Array<[string, string]> = [];
  const s = raw.s3beat;
  if (!isRec(s)) return { raw, errors, warnings, back: (i) => i };
  const section: Rec = { ...s };
  for (const [legacy, name] of LEGACY_NAMES) {
    if (!Object.hasOwn(section, legacy)) continue;
    if (Object.hasOwn(section, name)) {
      errors.push({ path: `s3beat.${legacy}`, message: `legacy name of ${name}, which is also set: remove one of them` });
    } else {
      warnings.push({ path: `s3beat.${legacy}`, message: `legacy name: run s3beat migrate-config (it renames ${legacy} to ${name})` });
      section[name] = section[legacy];
      moved.push([`s3beat.${name}`, `s3beat.${legacy}`]);
    }
    delete section[legacy];
  }
  const back = (i: SchemaIssue): SchemaIssue => {
    for (const [now, was] of moved) {
      if (i.path === now || i.path.startsWith(`${now}[`) || i.path.startsWith(`${now}.`)) return { ...i, path: was + i.path.slice(now.length) };
    }
    return i;
  };
  return { raw: { ...raw, s3beat: section }, errors, warnings, back };
}

/** Validates the plain config object: every error and warning at once, and `settings` when valid. */
export function validateConfig(input: Rec, env: NodeJS.ProcessEnv = process.env, sourceName?: string): Validation {
  const legacy = renameLegacy(dropNulls(input));
  const raw = legacy.raw;
  const first = configSchema.safeParse(raw);
  const unknown: PropertyKey[][] = [];
  const errors: SchemaIssue[] = [...legacy.errors];
  for (const issue of first.success ? [] : first.error.issues) {
    if (issue.code === "unrecognized_keys") for (const k of issue.keys) unknown.push([...issue.path, k]);
    else errors.push(legacy.back({ path: pathToString(issue.path), message: issue.message }));
  }
  // Unknown keys fail a strict parse but are only warnings: parse again without them.
  const known = without(raw, unknown);
  const cross = crossChecks(known, sourceName);
  errors.push(...cross.errors.map(legacy.back));
  const warnings = [...legacy.warnings, ...cross.warnings.map(legacy.back)];
  const result = { errors, warnings, unknownKeys: unknown.map(pathToString) };
  if (errors.length > 0) return result;
  const second = configSchema.safeParse(known);
  if (!second.success) {
    // Not expected: the first pass reported everything but unknown keys. Surface it rather than hide it.
    return { ...result, errors: second.error.issues.map((i) => ({ path: pathToString(i.path), message: i.message })) };
  }
  return { ...result, settings: toSettings(second.data, env), configVersion: second.data.configVersion ?? 0 };
}
