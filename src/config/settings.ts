/**
 * The resolved configuration the daemon runs with: defaults applied, units converted (the names
 * say which), regexes compiled. `load.ts` produces it from s3beat.yml; nothing else reads YAML.
 * Each field names its YAML key; what the key means, its default and range are declared once, with
 * its schema (beatShape.ts, outputShape.ts, schema.ts), and generated into the README.
 */

export type DecoderKind = "lines" | "ndjson" | "json";

export interface MultilineSettings {
  /** YAML `multiline.pattern`. */
  pattern: RegExp;
  /** YAML `multiline.negate`. */
  negate: boolean;
  /** YAML `multiline.match`. */
  match: "after" | "before";
  /** YAML `multiline.maxLines`. */
  maxLines: number;
}

export interface DecoderSettings {
  /** YAML `decoder`. */
  decoder: DecoderKind;
  /** YAML `expandEventListFromField`; undefined when empty. */
  expandEventListFromField?: string;
  /** YAML `multiline.*` (lines decoder only); undefined when `multiline.pattern` is empty. */
  multiline?: MultilineSettings;
  /** YAML `maxEventBytes`, in bytes as shipped (JSON-escaped). */
  maxEventBytes: number;
}

/** YAML `fileSelectors[]`: decoder settings for the keys matching `keyRegex` (Filebeat's file_selectors). Unset fields inherit the top-level ones. */
export interface FileSelector extends DecoderSettings {
  /** YAML `fileSelectors[].keyRegex`. */
  keyRegex: RegExp;
}

export interface S3BeatSettings extends DecoderSettings {
  /** YAML `maxObjectBytes`, in decompressed bytes. */
  maxObjectBytes: number;
  /** YAML `maxCompressionRatio`, decompressed/compressed. */
  maxCompressionRatio: number;
  /** YAML `fileSelectors`, unset fields filled from the top level. */
  fileSelectors: FileSelector[];
  /** YAML `sqsQueues` (parse with config/queueEntry.ts). */
  sqsQueues: string[];
  /** YAML `awsFlag`. */
  awsFlag: boolean;
  /** YAML `accessKeyID`. Secret: never logged. */
  accessKeyId?: string;
  /** YAML `secretAccessKey`. Secret: never logged. */
  secretAccessKey?: string;
  /** YAML `assumeRoleFlag`. */
  assumeRoleFlag: boolean;
  /** YAML `roleArn`. */
  roleArns: string[];
  /** YAML `sessionDuration`, in seconds. */
  sessionDurationSeconds: number;
  /** YAML `roleSessionName`. */
  roleSessionName: string;
  /** YAML `externalId`; undefined when empty. */
  externalId?: string;
  /** YAML `disableAuthRetry`. */
  disableAuthRetry: boolean;
  /** YAML `heartbeatdisabled`. */
  heartbeatDisabled: boolean;
  /** YAML `heartbeatinterval`, in seconds. */
  heartbeatIntervalSeconds: number;
  /**
   * The fully qualified beat name on every event and heartbeat (not the YAML value alone): the
   * FullyQualifiedBeatName environment variable as given when set, else `s3beat_<YAML beatIdentifier>`
   * when that is set, else `s3beat`.
   */
  beatIdentifier: string;
  /** YAML `region`. */
  region: string;
  /** YAML `endpoints.sqs|s3|sts`; absent when empty. */
  endpoints: { sqs?: string; s3?: string; sts?: string };
  /** YAML `s3ForcePathStyle`. */
  s3ForcePathStyle: boolean;
  /** YAML `keyInclude`. */
  keyInclude?: RegExp;
  /** YAML `keyExclude`; a skipped key's notification is still deleted. */
  keyExclude?: RegExp;
  /** YAML `maxMessagesInFlight`. */
  maxMessagesInFlight: number;
  /** YAML `maxLargeObjectsInFlight`; objects of unknown size count as large. */
  maxLargeObjectsInFlight: number;
  /** YAML `visibilityTimeout`, in seconds. */
  visibilityTimeoutSeconds: number;
  /** YAML `sqsWaitTime`, in seconds. */
  waitTimeSeconds: number;
  /** YAML `shutdownGracePeriod`, in seconds. */
  shutdownGracePeriodSeconds: number;
  /** YAML `retryBackoff.init`, in seconds. */
  retryBackoffInitSeconds: number;
  /** YAML `retryBackoff.max`, in seconds. */
  retryBackoffMaxSeconds: number;
}

export interface ConsoleOutputSettings {
  kind: "console";
  /** YAML `output.console.pretty`. */
  pretty: boolean;
}

export interface FileOutputSettings {
  kind: "file";
  /** YAML `output.file.path`. */
  path: string;
  /** YAML `output.file.filename`. */
  filename: string;
  /** YAML `output.file.rotate_every_kb`, converted to bytes. */
  rotateEveryBytes: number;
  /** YAML `output.file.number_of_files`. */
  numberOfFiles: number;
  /** YAML `output.file.permissions`, a file mode. */
  permissions: number;
}

export interface LogstashHost {
  host: string;
  /** DEFAULT_LOGSTASH_PORT when the entry has none. */
  port: number;
}

export interface LogstashTlsSettings {
  /** YAML `output.logstash.ssl.certificate_authorities`; empty: the system's CAs. */
  certificateAuthorities: string[];
  /** YAML `output.logstash.ssl.certificate`. */
  certificate?: string;
  /** YAML `output.logstash.ssl.key`. */
  key?: string;
  /** YAML `output.logstash.ssl.verification_mode`. */
  verificationMode: "full" | "strict" | "certificate" | "none";
}

/** libbeat's output.logstash: the Beats (lumberjack v2) protocol to Logstash or the LogRhythm Open Collector. */
export interface LogstashOutputSettings {
  kind: "logstash";
  /** YAML `output.logstash.hosts`, parsed. */
  hosts: LogstashHost[];
  /** YAML `output.logstash.loadbalance`. */
  loadbalance: boolean;
  /** YAML `output.logstash.compression_level`. */
  compressionLevel: number;
  /** YAML `output.logstash.bulk_max_size`, in events. */
  bulkMaxSize: number;
  /** YAML `output.logstash.pipelining`, in windows. */
  pipelining: number;
  /** YAML `output.logstash.timeout`, in seconds. */
  timeoutSeconds: number;
  /** YAML `output.logstash.backoff.init`, in seconds. */
  backoffInitSeconds: number;
  /** YAML `output.logstash.backoff.max`, in seconds. */
  backoffMaxSeconds: number;
  /** YAML `output.logstash.ttl`, in seconds; 0: off. */
  ttlSeconds: number;
  /** YAML `output.logstash.ssl.*`; undefined when TLS is off (`ssl.enabled: false` or no ssl section). */
  ssl?: LogstashTlsSettings;
}

export type OutputSettings = ConsoleOutputSettings | FileOutputSettings | LogstashOutputSettings;

export interface LoggingSettings {
  /** YAML `logging.level` (`warning` read as `warn`). */
  level: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  /** YAML `logging.format`. */
  format: "auto" | "json" | "pretty";
  /** YAML `logging.metrics.enabled`; false also when the period is 0. */
  metricsEnabled: boolean;
  /** YAML `logging.metrics.period`, in seconds (30 when the file says 0). */
  metricsPeriodSeconds: number;
}

export interface HttpSettings {
  /** YAML `http.enabled`. */
  enabled: boolean;
  /** YAML `http.host`. */
  host: string;
  /** YAML `http.port`. */
  port: number;
}

export interface Settings {
  s3beat: S3BeatSettings;
  output: OutputSettings;
  logging: LoggingSettings;
  http: HttpSettings;
}
