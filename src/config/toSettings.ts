/** The validated YAML (zod's output) → the resolved `Settings` the daemon runs with. */
import type { z } from "zod";
import { fullyQualifiedBeatName } from "./identity.ts";
import type { logstashShape } from "./outputShape.ts";
import type { ConfigYaml } from "./schema.ts";
import type { FileSelector, LogstashOutputSettings, OutputSettings, Settings } from "./settings.ts";

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
