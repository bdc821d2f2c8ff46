/**
 * The resolved configuration the daemon runs with: defaults applied, units converted (the names
 * say which), regexes compiled. `load.ts` produces it from s3beat.yml; nothing else reads YAML.
 */

export type DecoderKind = "lines" | "ndjson" | "json";

export interface MultilineSettings {
  /** YAML `multiline.pattern`: lines matching it (or not, with negate) continue a group. */
  pattern: RegExp;
  /** YAML `multiline.negate` (default false). */
  negate: boolean;
  /** YAML `multiline.match` (default `after`): whether continuation lines attach to the line before or after. */
  match: "after" | "before";
  /** YAML `multiline.maxLines` (default 500): lines past this in one group are dropped and the event flagged truncated. */
  maxLines: number;
}

export interface DecoderSettings {
  /** YAML `decoder` (default `lines`). */
  decoder: DecoderKind;
  /** YAML `expandEventListFromField` (json decoder only): one event per element of this top-level array field, e.g. `Records` for CloudTrail. */
  expandEventListFromField?: string;
  /** YAML `multiline.*` (lines decoder only); undefined when `multiline.pattern` is empty. */
  multiline?: MultilineSettings;
  /** YAML `maxEventBytes` (default `10MiB`): events whose message is longer than this as shipped (JSON-escaped bytes) are truncated and flagged. */
  maxEventBytes: number;
}

/** YAML `fileSelectors[]`: decoder settings for the keys matching `keyRegex` (Filebeat's file_selectors). Unset fields inherit the top-level ones. */
export interface FileSelector extends DecoderSettings {
  /** YAML `fileSelectors[].keyRegex`. */
  keyRegex: RegExp;
}

export interface S3BeatSettings extends DecoderSettings {
  /**
   * YAML `maxObjectBytes` (bytes; default `10GiB`, 1MiB–1024GiB): decompressed bytes read from one
   * object at most. Past it reading stops, the events before are shipped, the object is counted
   * `too_large` and logged once, and its message is deleted (delivered with truncation, not retried).
   */
  maxObjectBytes: number;
  /**
   * YAML `maxCompressionRatio` (a ratio; default 1000, 10–100000): a gzip object whose
   * decompressed/compressed ratio exceeds this once 64 MiB were decompressed is stopped like one
   * past `maxObjectBytes` (a decompression bomb). Deflate cannot exceed about 1032:1, so 1033 or
   * more turns the check off.
   */
  maxCompressionRatio: number;
  /** YAML `fileSelectors` (default none): first match wins; keys matching none use the top-level decoder settings. */
  fileSelectors: FileSelector[];
  /** YAML `sqsQueues`: `name:region` entries or full queue URLs. At least one. */
  sqsQueues: string[];
  /** YAML `awsFlag` (default false): true uses the AWS SDK default credential chain (running inside AWS). */
  awsFlag: boolean;
  /** YAML `accessKeyID`: base IAM user's access key (when awsFlag is false). Secret: never logged. */
  accessKeyId?: string;
  /** YAML `secretAccessKey`. Secret: never logged. */
  secretAccessKey?: string;
  /** YAML `assumeRoleFlag` (default false): use temporary credentials of `roleArns` for every SQS and S3 call. */
  assumeRoleFlag: boolean;
  /** YAML `roleArn`: one ARN for every queue, or one per `sqsQueues` entry in order (validated). */
  roleArns: string[];
  /** YAML `sessionDuration` (default `1h`, 15m–12h): DurationSeconds asked for in sts:AssumeRole. */
  sessionDurationSeconds: number;
  /** YAML `roleSessionName` (default `s3beat`): shows in CloudTrail. */
  roleSessionName: string;
  /** YAML `externalId`: the sts:ExternalId the role's trust policy demands. */
  externalId?: string;
  /** YAML `disableAuthRetry` (default false): true disables the forced refresh and single retry after an ExpiredToken answer. */
  disableAuthRetry: boolean;
  /** YAML `heartbeatdisabled` (default false): LogRhythm heartbeats off. */
  heartbeatDisabled: boolean;
  /** YAML `heartbeatinterval` (default 60, seconds or a duration): time between heartbeat events. */
  heartbeatIntervalSeconds: number;
  /**
   * The fully qualified beat name on every event and heartbeat (not the YAML value alone): the
   * FullyQualifiedBeatName environment variable as given when set, else `s3beat_<YAML beatIdentifier>`
   * when that is set, else `s3beat`.
   */
  beatIdentifier: string;
  /** YAML `region` (default `us-east-1`): region used when a queue URL does not name one. */
  region: string;
  /** YAML `endpoints.sqs|s3|sts`: custom endpoints (VPC/FIPS, S3-compatible stores, emulators). */
  endpoints: { sqs?: string; s3?: string; sts?: string };
  /** YAML `s3ForcePathStyle` (default false). */
  s3ForcePathStyle: boolean;
  /** YAML `keyInclude`: only keys matching this regex are read. */
  keyInclude?: RegExp;
  /** YAML `keyExclude`: keys matching this regex are skipped (and their notification still deleted). */
  keyExclude?: RegExp;
  /** YAML `maxMessagesInFlight` (default 10): SQS messages processed at once by this process. */
  maxMessagesInFlight: number;
  /**
   * YAML `maxLargeObjectsInFlight` (default 2, 1–100): objects of 256 KiB or more as stored (or of
   * unknown size) read at once. Decoding them is CPU-bound: more at once only adds memory and GC.
   */
  maxLargeObjectsInFlight: number;
  /** YAML `visibilityTimeout` (default `5m`): asked for on receive and re-extended every half of it while a message is in progress. */
  visibilityTimeoutSeconds: number;
  /** YAML `sqsWaitTime` (default `20s`, 0–20s): ReceiveMessage long-poll duration. */
  waitTimeSeconds: number;
  /** YAML `shutdownGracePeriod` (default `5s`): how long SIGTERM waits for in-flight messages before releasing them; the process exits within this + 5 s. */
  shutdownGracePeriodSeconds: number;
  /** YAML `retryBackoff.init` (default `30s`): a failed message becomes visible again after this, doubling per receive. */
  retryBackoffInitSeconds: number;
  /** YAML `retryBackoff.max` (default `15m`): cap of that backoff. */
  retryBackoffMaxSeconds: number;
}

export interface ConsoleOutputSettings {
  kind: "console";
  /** YAML `output.console.pretty` (default false): indented JSON instead of one line per event. */
  pretty: boolean;
}

export interface FileOutputSettings {
  kind: "file";
  /** YAML `output.file.path` (required): directory the files are written to (created if missing). */
  path: string;
  /** YAML `output.file.filename` (default `s3beat`): name of the active file; rotated files get `.1`, `.2`, … */
  filename: string;
  /** YAML `output.file.rotate_every_kb` (default 10240): rotate before the file would grow past this. */
  rotateEveryBytes: number;
  /** YAML `output.file.number_of_files` (default 7, 2–1024): files kept, the active one included. */
  numberOfFiles: number;
  /** YAML `output.file.permissions` (default 0600): mode of files created. */
  permissions: number;
}

export interface LogstashHost {
  host: string;
  /** Default 5044 when the entry has no port. */
  port: number;
}

export interface LogstashTlsSettings {
  /** YAML `output.logstash.ssl.certificate_authorities`: PEM files of the CAs that sign the collector's certificate (default: the system's). */
  certificateAuthorities: string[];
  /** YAML `output.logstash.ssl.certificate`: PEM file of the client certificate, for collectors that demand one. */
  certificate?: string;
  /** YAML `output.logstash.ssl.key`: PEM file of the client certificate's key. */
  key?: string;
  /** YAML `output.logstash.ssl.verification_mode` (default `full`): full/strict (chain and host name), certificate (chain only), none. */
  verificationMode: "full" | "strict" | "certificate" | "none";
}

/** libbeat's output.logstash: the Beats (lumberjack v2) protocol to Logstash or the LogRhythm Open Collector. */
export interface LogstashOutputSettings {
  kind: "logstash";
  /** YAML `output.logstash.hosts` (required): `host:port` entries. */
  hosts: LogstashHost[];
  /** YAML `output.logstash.loadbalance` (default false): spread windows over every host instead of using one at a time. */
  loadbalance: boolean;
  /** YAML `output.logstash.compression_level` (default 3, 0–9): zlib level of compressed frames; 0 sends plain JSON frames. */
  compressionLevel: number;
  /** YAML `output.logstash.bulk_max_size` (default 2048): the largest window, in events. */
  bulkMaxSize: number;
  /** YAML `output.logstash.pipelining` (default 2, 0–16): windows sent before waiting for the oldest one's ACK, beyond the first; 0 sends one at a time. */
  pipelining: number;
  /** YAML `output.logstash.timeout` (default `30s`): with no ACK or keep-alive for this long, the connection is dropped and the window re-sent. */
  timeoutSeconds: number;
  /** YAML `output.logstash.backoff.init` (default `1s`): first wait before reconnecting after an error, doubling per failure. */
  backoffInitSeconds: number;
  /** YAML `output.logstash.backoff.max` (default `60s`): cap of that wait. */
  backoffMaxSeconds: number;
  /** YAML `output.logstash.ttl` (default `0`, off): reconnect after this long, so a load balancer in front of collectors can rebalance. */
  ttlSeconds: number;
  /** YAML `output.logstash.ssl.*`; undefined when TLS is off (`ssl.enabled: false` or no ssl section). */
  ssl?: LogstashTlsSettings;
}

export type OutputSettings = ConsoleOutputSettings | FileOutputSettings | LogstashOutputSettings;

export interface LoggingSettings {
  /** YAML `logging.level` (default `info`): trace, debug, info, warn, error, fatal. */
  level: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  /** YAML `logging.format` (default `auto`): `json` (ECS field names), `pretty` for humans, `auto` = pretty when stderr is a terminal. Logs always go to stderr. */
  format: "auto" | "json" | "pretty";
  /** YAML `logging.metrics.enabled` (default true; false or a period of 0 turns it off): the periodic summary line. */
  metricsEnabled: boolean;
  /** YAML `logging.metrics.period` (default `30s`): how often the summary is logged and the queues' backlog read. */
  metricsPeriodSeconds: number;
}

export interface HttpSettings {
  /** YAML `http.enabled` (default false): the monitoring endpoint; off, the daemon opens no listening socket. */
  enabled: boolean;
  /** YAML `http.host` (default `127.0.0.1`): address the endpoint binds. */
  host: string;
  /** YAML `http.port` (default 5066; 0 picks a free port): the endpoint's TCP port. */
  port: number;
}

export interface Settings {
  s3beat: S3BeatSettings;
  output: OutputSettings;
  logging: LoggingSettings;
  http: HttpSettings;
}
