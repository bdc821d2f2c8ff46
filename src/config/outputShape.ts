/** The `output.*` sections of s3beat.yml as zod shapes. */
import { z } from "zod";
import { DEFAULT_LOGSTASH_PORT, HOST_HINT, parseLogstashHost, parsePermissions } from "./checks.ts";
import { doc, duration, flag, int, oneOf, optionalText, section, stringList, via } from "./fields.ts";

const H = 3600;

/** An output section counts as enabled unless it says `enabled: false`. */
const enabled = (more = "") =>
  doc(flag().default(true), { doc: `The section's presence enables it; \`false\` disables it.${more}`, brief: "default true once the section exists" });
export const enabledFlag = enabled();

export const consoleShape = {
  enabled: enabled(" Exactly one output must be enabled."),
  pretty: doc(flag().default(false), { doc: "Indented JSON instead of one line per event.", brief: "true: indented JSON instead of one line per event" }),
};

export const fileShape = {
  enabled: enabled(),
  path: doc(optionalText, {
    doc: "Directory the files are written to (created if missing).",
    brief: "directory of the files (created if missing)",
    required: true,
    example: "/var/lib/s3beat/out",
  }),
  filename: doc(
    z
      .string({ error: "expected a file name" })
      .regex(/^[^/\\]+$/, "expected a plain file name, without / (put the directory in path)")
      .default("s3beat"),
    { doc: "Name of the active file (no `/`); rotated files get `.1`, `.2`, …", brief: "active file name; rotated ones get .1, .2, ..." },
  ),
  rotate_every_kb: doc(int(1, 10 * 1024 * 1024).default(10240), {
    doc: "Rotate before the file would grow past this many KiB.",
    brief: "{range}: rotate before the file would grow past this many KiB",
  }),
  number_of_files: doc(int(2, 1024).default(7), { doc: "Files kept, the active one included.", brief: "{range} files kept, the active one included" }),
  permissions: doc(z.union([z.string(), z.number()], { error: 'expected an octal file mode like "0600"' }).transform(via(parsePermissions)).default(0o600), {
    doc: 'Octal mode of the files created (`"0600"`, `0600`, `600`), at most `0777`.',
    brief: "octal mode of the files created",
    defaultText: "`0600`",
    yaml: '"0600"',
  }),
};

export const VERIFICATION_MODES = ["full", "strict", "certificate", "none"] as const;

export const logstashSslShape = {
  enabled: doc(flag().default(true), {
    doc: "Any `ssl` section turns TLS on; `false`: plain TCP.",
    brief: "TLS once the section exists; false (or no ssl section): plain TCP",
    defaultText: "`true` once `ssl` exists",
  }),
  certificate_authorities: doc(stringList("expected a list of PEM file paths").default([]), {
    doc: "PEM files (or PEM text) of the CAs that sign the collector's certificate.",
    brief: "PEM files; default: the system's CAs",
    defaultText: "system CAs",
    example: '["/etc/s3beat/ca.pem"]',
  }),
  certificate: doc(optionalText, {
    doc: "Client certificate (PEM), for collectors that demand one; give it with `ssl.key`, or neither.",
    brief: "client certificate, if the collector demands one...",
    defaultText: "—",
    example: "/etc/s3beat/client.pem",
  }),
  key: doc(optionalText, {
    doc: "The client certificate's private key (PEM, unencrypted).",
    brief: "...and its key (both or neither)",
    defaultText: "—",
    example: "/etc/s3beat/client.key",
  }),
  verification_mode: doc(oneOf(VERIFICATION_MODES).default("full"), {
    doc: "`full` checks the chain and that the host name or IP is in the certificate; `strict` also requires a subjectAltName; `certificate` checks the chain only; `none` nothing (tests only).",
  }),
};

export const logstashBackoffShape = {
  init: doc(duration(1, H).default(1), {
    doc: "Wait before reconnecting after a failure, doubling per failure in a row (jittered).",
    brief: "{range} before reconnecting, doubling per failure in a row",
  }),
  max: doc(duration(1, H).default(60), { doc: "Cap of that wait; at least `backoff.init`.", brief: "{range} cap of that wait, at least backoff.init" }),
};

export const logstashShape = {
  enabled: enabled(" Exactly one output may be enabled."),
  hosts: doc(
    z
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
    {
      doc: `\`"host:port"\` entries of the collectors' Beats inputs (port ${DEFAULT_LOGSTASH_PORT} by default; IPv6 as \`"[::1]:${DEFAULT_LOGSTASH_PORT}"\`).`,
      brief: `"host:port" (port default ${DEFAULT_LOGSTASH_PORT}), one or more`,
      required: true,
      example: `["opencollector:${DEFAULT_LOGSTASH_PORT}"]`,
    },
  ),
  loadbalance: doc(flag().default(false), {
    doc: "`true`: one connection per host, sharing the events. `false`: one host at a time (random first, the next after a failure).",
    brief: "true: spread events over every host; false: one at a time, failover",
  }),
  compression_level: doc(int(0, 9).default(3), { doc: "The zlib level; 0 sends plain JSON frames.", brief: "{range}: zlib level, 0 = off" }),
  bulk_max_size: doc(int(1, 65535).default(2048), { doc: "The largest window, in events.", brief: "{range}: largest window of events" }),
  pipelining: doc(int(0, 16).default(2), {
    doc: "Windows sent before waiting for the oldest one's ACK, beyond the first (as libbeat); 0 sends one window at a time.",
    brief: "{range} windows sent before waiting for the oldest one's ACK, beyond the first",
  }),
  timeout: doc(duration(1, H).default(30), {
    doc: "Connect timeout, and the longest wait for an ACK or keep-alive before reconnecting and re-sending.",
    brief: "{range}: no ACK or keep-alive for this long: reconnect and re-send",
  }),
  backoff: z.strictObject(logstashBackoffShape, { error: section() }).prefault({}),
  ttl: doc(duration(0, 24 * H).default(0), {
    doc: "Reconnect once a connection is this old (lets a load balancer rebalance); 0: never.",
    brief: "{range}: reconnect once a connection is this old (behind a load balancer); 0 = never",
    defaultText: "`0` (off)",
  }),
  ssl: z.strictObject(logstashSslShape, { error: section() }).optional(),
};

/** Exactly one of them is enabled (a cross-field rule). */
export const outputShape = {
  /** Events as JSON lines on stdout. */
  console: z.strictObject(consoleShape, { error: section() }).optional(),
  /** Events as JSON lines in rotated files. */
  file: z.strictObject(fileShape, { error: section() }).optional(),
  /** Events to Logstash / the LogRhythm Open Collector over the Beats (lumberjack v2) protocol. */
  logstash: z.strictObject(logstashShape, { error: section() }).optional(),
};
