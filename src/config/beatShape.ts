/** The `s3beat:` section of s3beat.yml as zod shapes. */
import { z } from "zod";
import { checkRoleArn, REGION_RE, ROLE_ARN_HINT } from "./checks.ts";
import { byteSize, duration, endpoint, flag, int, oneOf, optionalText, regex, regexOrOff, secret, section, via, compileRegex } from "./fields.ts";
import { BEAT_IDENTIFIER_RE } from "./identity.ts";
import { checkQueue, QUEUE_HINT } from "./queueEntry.ts";

const H = 3600;
const MIB = 1024 ** 2;
export const DECODERS = ["lines", "ndjson", "json"] as const;

export const endpointsShape = {
  /** Custom SQS endpoint URL (VPC endpoint, FIPS, emulator). `""` (default): the regional AWS endpoint. */
  sqs: endpoint,
  /** Custom S3 endpoint URL (VPC endpoint, S3-compatible store, emulator). `""` (default): AWS. */
  s3: endpoint,
  /** Custom STS endpoint URL. `""` (default): the regional STS endpoint. */
  sts: endpoint,
};

export const multilineShape = {
  /** Regex that marks continuation lines (with `negate`, lines NOT matching it). `""` (default): multiline off. */
  pattern: regex,
  /** Invert `pattern`. Default false. */
  negate: flag().default(false),
  /** `after` (default): continuation lines are appended to the line before them; `before`: to the line after. */
  match: oneOf(["after", "before"]).default("after"),
  /** Lines kept per group; the rest are dropped and the event flagged truncated. Default 500, 1–100000. */
  maxLines: int(1, 100_000).default(500),
};

export const retryBackoffShape = {
  /** Delay before a failed message is retried, doubling per receive. Duration, default 30s, 0–12h. */
  init: duration(0, 12 * H).default(30),
  /** Cap of that delay. Duration, default 15m, 0–12h (SQS's visibility limit), and ≥ `init`. */
  max: duration(0, 12 * H).default(15 * 60),
};

/** A `fileSelectors[]` entry. Every key but keyRegex is optional and inherits the top-level value. */
export const fileSelectorShape = {
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

export const s3beatShape = {
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
