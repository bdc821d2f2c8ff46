/**
 * Keys that s3beat does not use but knows: the ones libbeat (Elastic's Beats framework, on which
 * LogRhythm's beats are built) and LogRhythm's beat tooling write into a beat's YAML file. An
 * existing LogRhythm s3beat.yml carries many of them. They are kept in the file like any unknown
 * key (a migration never drops a key), but `validate` and `run` report them as "not used by s3beat"
 * rather than as possible misspellings: the operator has nothing to fix, only something to know.
 *
 * This is the only list of them. A path names a key as the loader reports it: dotted and nested
 * forms are the same (`queue.spool:` and `queue: {spool: …}` are both the key `queue`), and a
 * section's entry covers everything under it.
 */

export interface NotUsedKey {
  /** Key path, as in warnings: `queue`, `logging.to_files`, `s3beat.period`. */
  path: string;
  /** Where the key comes from. */
  origin: "libbeat" | "LogRhythm";
  /** Why s3beat has no use for it, or what serves instead; shown after the warning. */
  note?: string;
}

const STDERR = "s3beat logs to stderr only; collect it with the container runtime or systemd";
const OUTPUTS = "s3beat ships to output.logstash, output.file or output.console only";

export const NOT_USED_KEYS: readonly NotUsedKey[] = [
  // libbeat's general settings (top level). Events carry no extra name, tags or fields.
  { path: "name", origin: "libbeat" },
  { path: "tags", origin: "libbeat" },
  { path: "fields", origin: "libbeat" },
  { path: "fields_under_root", origin: "libbeat" },
  { path: "processors", origin: "libbeat", note: "events are shipped as decoded; transform them in the collector" },
  { path: "max_procs", origin: "libbeat" },
  { path: "timestamp", origin: "libbeat" },
  { path: "queue", origin: "libbeat", note: "s3beat keeps no queue or spool of its own: a message stays in SQS until its events are acknowledged" },
  { path: "path", origin: "libbeat" },
  { path: "setup", origin: "libbeat" },
  { path: "monitoring", origin: "libbeat", note: "s3beat's monitoring is its http endpoint (http.enabled) and logging.metrics" },
  { path: "xpack", origin: "libbeat", note: "s3beat's monitoring is its http endpoint (http.enabled) and logging.metrics" },
  { path: "cloud", origin: "libbeat" },
  { path: "keystore", origin: "libbeat", note: "supply secrets through ${VAR} environment variables" },
  { path: "seccomp", origin: "libbeat" },
  { path: "instrumentation", origin: "libbeat" },
  { path: "features", origin: "libbeat" },
  { path: "migration", origin: "libbeat" },
  { path: "http.named_pipe", origin: "libbeat" },
  // libbeat's logging to files, syslog and the Windows event log.
  { path: "logging.to_files", origin: "libbeat", note: STDERR },
  { path: "logging.to_stderr", origin: "libbeat", note: STDERR },
  { path: "logging.to_syslog", origin: "libbeat", note: STDERR },
  { path: "logging.to_eventlog", origin: "libbeat", note: STDERR },
  { path: "logging.files", origin: "libbeat", note: STDERR },
  { path: "logging.selectors", origin: "libbeat" },
  { path: "logging.json", origin: "libbeat", note: "use logging.format: json" },
  { path: "logging.ecs", origin: "libbeat", note: "JSON logs always use ECS field names" },
  { path: "logging.event_data", origin: "libbeat" },
  // libbeat's outputs and output options s3beat does not implement.
  { path: "output.elasticsearch", origin: "libbeat", note: OUTPUTS },
  { path: "output.kafka", origin: "libbeat", note: OUTPUTS },
  { path: "output.redis", origin: "libbeat", note: OUTPUTS },
  { path: "output.console.codec", origin: "libbeat" },
  { path: "output.file.codec", origin: "libbeat" },
  { path: "output.logstash.worker", origin: "libbeat" },
  { path: "output.logstash.workers", origin: "libbeat" },
  { path: "output.logstash.index", origin: "libbeat" },
  { path: "output.logstash.slow_start", origin: "libbeat" },
  { path: "output.logstash.escape_html", origin: "libbeat" },
  { path: "output.logstash.max_retries", origin: "libbeat", note: "s3beat retries until the collector acknowledges" },
  { path: "output.logstash.proxy_url", origin: "libbeat", note: "s3beat connects to the hosts directly" },
  { path: "output.logstash.proxy_use_local_resolver", origin: "libbeat" },
  { path: "output.logstash.ssl.supported_protocols", origin: "libbeat" },
  { path: "output.logstash.ssl.cipher_suites", origin: "libbeat" },
  { path: "output.logstash.ssl.curve_types", origin: "libbeat" },
  { path: "output.logstash.ssl.renegotiation", origin: "libbeat" },
  // LogRhythm's beat settings that are not s3beat's (its own, heartbeatdisabled and
  // heartbeatinterval, are in the schema), and libbeat's general settings written in the section.
  { path: "s3beat.period", origin: "LogRhythm", note: "s3beat is driven by SQS long polling (sqsWaitTime)" },
  { path: "s3beat.traits", origin: "LogRhythm" },
  { path: "s3beat.logsource_name", origin: "LogRhythm" },
  { path: "s3beat.name", origin: "libbeat" },
  { path: "s3beat.tags", origin: "libbeat" },
  { path: "s3beat.fields", origin: "libbeat" },
  { path: "s3beat.fields_under_root", origin: "libbeat" },
  { path: "s3beat.processors", origin: "libbeat", note: "events are shipped as decoded; transform them in the collector" },
];

const BY_PATH = new Map(NOT_USED_KEYS.map((k) => [k.path, k]));

/** The entry for an unknown key's path (its own, or its section's), if s3beat knows it as not used. */
export function notUsedKey(path: string): NotUsedKey | undefined {
  for (let p = path; p !== ""; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
    const known = BY_PATH.get(p);
    if (known) return known;
  }
  return undefined;
}

/** The warning for a key of NOT_USED_KEYS: never the "check the spelling" of an unknown key. */
export function notUsedMessage(key: NotUsedKey): string {
  return `not used by s3beat (a ${key.origin} setting; kept, and ignored)${key.note ? `: ${key.note}` : ""}`;
}

/** The warning for a key s3beat does not know at all: maybe a misspelt one of its own. */
export const UNKNOWN_KEY_MESSAGE = "unknown key (kept, but s3beat ignores it; check the spelling)";
