/** The `s3beat:` section of s3beat.yml as zod shapes. */
import { z } from "zod";
import { checkRoleArn, REGION_RE, ROLE_ARN_HINT } from "./checks.ts";
import { byteSize, compileRegex, doc, duration, endpoint, flag, int, oneOf, optionalText, regex, regexOrOff, secret, section, via } from "./fields.ts";
import { BEAT_IDENTIFIER_RE } from "./identity.ts";
import { checkQueue, QUEUE_HINT } from "./queueEntry.ts";

const H = 3600;
const MIB = 1024 ** 2;
export const DECODERS = ["lines", "ndjson", "json"] as const;

const URL_DOC = 'An `http://` or `https://` URL; `""`: the regional AWS endpoint.';

export const endpointsShape = {
  sqs: doc(endpoint, { doc: `Custom SQS endpoint (VPC/FIPS endpoint, emulator). ${URL_DOC}`, brief: "e.g. https://sqs.us-east-1.amazonaws.com" }),
  s3: doc(endpoint, { doc: `Custom S3 endpoint (VPC endpoint, S3-compatible store, emulator). ${URL_DOC}`, brief: "e.g. http://127.0.0.1:9000" }),
  sts: doc(endpoint, { doc: `Custom STS endpoint. ${URL_DOC}`, brief: "e.g. https://sts.us-east-1.amazonaws.com" }),
};

export const multilineShape = {
  pattern: doc(regex, {
    doc: "`lines` decoder only: JavaScript regex of continuation lines (Filebeat multiline semantics).",
    brief: 'lines decoder only: regex of continuation lines ("" = multiline off)',
    defaultText: '`""` (off)',
  }),
  negate: doc(flag().default(false), {
    doc: "`true`: lines that do NOT match the pattern are the continuation lines.",
    brief: "true: lines NOT matching the pattern are the continuation lines",
  }),
  match: doc(oneOf(["after", "before"]).default("after"), {
    doc: "Continuation lines join the line before them (`after`) or the line after them (`before`).",
    brief: "{range}: continuation lines join the line before / after them",
  }),
  maxLines: doc(int(1, 100_000).default(500), {
    doc: "Lines kept per group; the rest are dropped and the event flagged truncated.",
    brief: "{range} lines kept per group; the rest are dropped and the event flagged",
  }),
};

export const retryBackoffShape = {
  init: doc(duration(0, 12 * H).default(30), {
    doc: "A failed message becomes visible again after this, doubling per receive.",
    brief: "{range} before a failed message is retried, doubling per receive",
  }),
  // 12h: SQS's visibility limit.
  max: doc(duration(0, 12 * H).default(15 * 60), {
    doc: "Cap of that backoff; at least `retryBackoff.init`.",
    brief: "{range} cap of that backoff, at least retryBackoff.init",
  }),
};

/** A `fileSelectors[]` entry. Every key but keyRegex is optional and inherits the top-level value. */
export const fileSelectorShape = {
  /** JS regex on the object key; the first selector that matches decides how the object is decoded. Required. */
  keyRegex: z
    .string({
      error: (iss) =>
        iss.input === undefined ? "required: the regex of the object keys this selector applies to" : "expected a regular expression (as a string)",
    })
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
  sqsQueues: doc(
    z
      .preprocess(
        (v) => (typeof v === "string" ? [v] : v), // a lone string is a one-queue list
        z
          .array(z.string({ error: QUEUE_HINT }).transform(via(checkQueue)), {
            error: section('required: list the SQS queues to read, as "name:region" or queue URLs'),
          })
          .min(1, 'list at least one queue ("name:region" or a queue URL)'),
      )
      .superRefine((queues, ctx) => {
        queues.forEach((q, i) => {
          if (queues.indexOf(q) !== i) ctx.issues.push({ code: "custom", message: "listed twice", path: [i], input: q });
        });
      }),
    {
      doc: 'Queues to long-poll: a list of `"name:region"` entries or full queue URLs (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`). At least one, no duplicates.',
      brief: '"name:region", or a full queue URL',
      example: '["prod-cloudtrail-events:us-east-1"]',
    },
  ),
  awsFlag: doc(flag().default(false), {
    doc: "`true`: running inside AWS, use the AWS SDK default credential chain (env, profile, web identity, ECS/EC2 role).",
    brief: "true: running inside AWS, use the AWS SDK default credential chain",
  }),
  accessKeyID: doc(secret, {
    doc: "Access key ID of the base IAM user (when `awsFlag` is false). Give both keys or neither. Use `${S3BEAT_ACCESS_KEY_ID}`. Never logged. Values encrypted by LogRhythm tooling (`2||…`) are refused: supply the plain value through the environment.",
    brief: "base IAM user key (awsFlag false); give both keys or neither",
    defaultText: "unset",
    example: "${S3BEAT_ACCESS_KEY_ID}",
  }),
  secretAccessKey: doc(secret, {
    doc: "Secret access key of that user. Use `${S3BEAT_SECRET_ACCESS_KEY}`. Never logged.",
    brief: "never logged; keep it in the environment",
    defaultText: "unset",
    example: "${S3BEAT_SECRET_ACCESS_KEY}",
  }),
  assumeRoleFlag: doc(flag().default(false), {
    doc: "`true`: every SQS and S3 call for a queue uses temporary credentials of that queue's role (sts:AssumeRole). `false` changes nothing.",
    brief: "true: use temporary credentials of roleArn (cross-account) for SQS and S3",
  }),
  roleArn: doc(
    z
      .preprocess(
        (v) => (typeof v === "string" ? (v === "" ? [] : [v]) : v), // a lone string is a one-role list
        z.array(z.string({ error: ROLE_ARN_HINT }).transform(via(checkRoleArn)), { error: `expected a list of role ARNs (${ROLE_ARN_HINT})` }),
      )
      .default([]),
    {
      doc: "Role ARNs (`arn:aws:iam::<12 digits>:role/<name>`): one serves every queue, or one per `sqsQueues` entry in order. Required when `assumeRoleFlag` is true.",
      brief: "role ARNs: one for every queue, or one per sqsQueues entry in order",
    },
  ),
  sessionDuration: doc(duration(15 * 60, 12 * H).default(H), {
    doc: "Lifetime asked for in sts:AssumeRole (DurationSeconds), at most the role's MaxSessionDuration.",
    brief: "{range}, at most the role's MaxSessionDuration",
  }),
  roleSessionName: doc(
    z
      .string({ error: "expected a session name" })
      .regex(/^[\w+=,.@-]{2,64}$/, "must be 2–64 characters of letters, digits and _+=,.@-")
      .default("s3beat"),
    { doc: "RoleSessionName, shown in CloudTrail: 2–64 letters, digits and `_+=,.@-`.", brief: "shows in CloudTrail" },
  ),
  externalId: doc(
    optionalText.refine((v) => v === undefined || /^[\w+=,.@:/-]{2,1224}$/.test(v), "must be 2–1224 characters of letters, digits and _+=,.@:/-"),
    {
      doc: 'The `sts:ExternalId` the role\'s trust policy demands: 2–1224 letters, digits and `_+=,.@:/-`. `""`: none.',
      brief: "the sts:ExternalId the role's trust policy demands",
    },
  ),
  disableAuthRetry: doc(flag().default(false), {
    doc: "`true`: no forced refresh and retry after an ExpiredToken/invalid-token answer; the error is reported.",
    brief: "true: no automatic refresh and retry after an ExpiredToken answer",
  }),
  heartbeatdisabled: doc(flag().default(false), { doc: "`true`: no LogRhythm heartbeats.", brief: "true: no LogRhythm heartbeats" }),
  heartbeatinterval: doc(duration(1, H).default(60), {
    doc: "Time between LogRhythm heartbeats; a plain number is seconds.",
    brief: "{range} between LogRhythm heartbeats",
  }),
  beatIdentifier: doc(
    z
      .union([z.string(), z.number().int().nonnegative()], { error: "expected a string" })
      .optional()
      .transform((v) => (v === undefined || v === "" ? undefined : String(v)))
      .refine(
        (v) => v === undefined || BEAT_IDENTIFIER_RE.test(v),
        "must be 1–12 characters of letters, digits, _ and - (the beat is named s3beat_<beatIdentifier>)",
      ),
    {
      doc: "1–12 letters, digits, `_` or `-`: the beat is named `s3beat_<beatIdentifier>` (sent as `fullyqualifiedbeatname` on every event and heartbeat), unless the `FullyQualifiedBeatName` environment variable is set, which is used as given; neither: `s3beat`.",
      brief: 'the beat is named s3beat_<beatIdentifier> ("" = s3beat), unless $FullyQualifiedBeatName is set',
    },
  ),
  region: doc(z.string({ error: "expected a region name like us-east-1" }).regex(REGION_RE, "expected an AWS region like us-east-1").default("us-east-1"), {
    doc: "Region for clients when a queue entry does not name one. An AWS region name.",
    brief: "region for clients when a queue entry does not name one",
  }),
  endpoints: z.strictObject(endpointsShape, { error: section() }).prefault({}),
  s3ForcePathStyle: doc(flag().default(false), {
    doc: "Path-style bucket addressing (`endpoint/bucket`); most S3-compatible stores need it.",
    brief: "true: path-style bucket addressing (most S3-compatible stores need it)",
  }),
  keyInclude: doc(regex, { doc: "JavaScript regex: only object keys matching it are read.", brief: 'regex: only object keys matching it are read ("" = all)' }),
  keyExclude: doc(regex, {
    doc: "JavaScript regex: object keys matching it are skipped (e.g. `CloudTrail-Digest/`).",
    brief: 'regex: object keys matching it are skipped, e.g. "CloudTrail-Digest/"',
  }),
  decoder: doc(oneOf(DECODERS).default("lines"), { doc: "How an object is split into events." }),
  expandEventListFromField: doc(optionalText, {
    doc: "`json` decoder only: one event per element of this top-level array field (`Records` for CloudTrail).",
    brief: "json decoder only: one event per element of this array field, e.g. Records",
  }),
  multiline: z.strictObject(multilineShape, { error: section() }).prefault({}),
  maxEventBytes: doc(byteSize(1024, 100 * MIB).default(10 * MIB), {
    doc: "Counted as shipped (the message's JSON-escaped bytes: `\"` is 2, a NUL byte 6). Longer events are cut on a character boundary and flagged `truncated`.",
    brief: "{range} as shipped (JSON-escaped); longer events are truncated and flagged",
  }),
  maxObjectBytes: doc(byteSize(MIB, 1024 * 1024 * MIB).default(10 * 1024 * MIB), {
    doc: "Decompressed bytes read from one object at most. Past it the rest is skipped, the events before it are delivered, the object is counted `too_large` and its message deleted (not retried).",
    brief: "{range} decompressed per object; past it the rest is skipped (too_large), message deleted",
  }),
  maxCompressionRatio: doc(int(10, 100_000).default(1000), {
    doc: "Once a gzip object has produced 64 MiB, it may expand at most this many times its compressed size; more is taken for a decompression bomb (`too_large`, as above). Deflate cannot exceed about 1032, so 1033 or more turns the check off.",
    brief: "{range} gzip expansion allowed past 64MiB; more is taken for a bomb (too_large)",
  }),
  fileSelectors: doc(z.array(z.strictObject(fileSelectorShape, { error: section() }), { error: "expected a list of selectors" }).default([]), {
    doc: 'Per-key decoder settings, first match wins (Filebeat\'s file_selectors). Each entry: `keyRegex` (required, JavaScript regex on the object key) plus any of `decoder`, `expandEventListFromField`, `multiline.*`, `maxEventBytes`; unset ones inherit the values above (`""` switches an inherited `expandEventListFromField` or `multiline.pattern` off).',
    brief: "per-key decoder settings, first match wins; unset keys inherit the above",
  }),
  maxMessagesInFlight: doc(int(1, 100).default(10), {
    doc: "SQS messages processed at once by this process.",
    brief: "{range} SQS messages processed at once by this process",
  }),
  maxLargeObjectsInFlight: doc(int(1, 100).default(2), {
    doc: "Of those, objects of 256 KiB or more (as stored) read at once. Decoding them is CPU-bound, so more at once adds memory, not speed.",
    brief: "{range} of those objects of 256 KiB or more read at once (CPU-bound)",
  }),
  visibilityTimeout: doc(duration(2, 12 * H).default(5 * 60), {
    doc: "Asked for on receive and extended every half of it while a message is in progress. Below 30s only for tests.",
    brief: "{range}; extended every half of it while a message is in progress",
  }),
  sqsWaitTime: doc(duration(0, 20).default(20), { doc: "Long-poll wait of each ReceiveMessage.", brief: "{range} long-poll wait of each ReceiveMessage" }),
  shutdownGracePeriod: doc(duration(0, 10 * 60).default(5), {
    doc: "On SIGTERM, how long in-flight messages may finish before they are released; the process exits within this + 5 s (so `docker stop`'s default 10 s suffices).",
    brief: "{range} on SIGTERM before in-flight messages are released; exit within this + 5s",
  }),
  retryBackoff: z.strictObject(retryBackoffShape, { error: section() }).prefault({}),
};
