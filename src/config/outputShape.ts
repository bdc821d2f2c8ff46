/** The `output.*` sections of s3beat.yml as zod shapes. */
import { z } from "zod";
import { DEFAULT_LOGSTASH_PORT, HOST_HINT, parseLogstashHost, parsePermissions } from "./checks.ts";
import { duration, flag, int, oneOf, optionalText, section, stringList, via } from "./fields.ts";

const H = 3600;

/** An output section counts as enabled unless it says `enabled: false`. */
export const enabledFlag = flag().default(true);

export const consoleShape = {
  /** Default true once the section exists. */
  enabled: enabledFlag,
  /** Indented JSON instead of one line per event. Default false. */
  pretty: flag().default(false),
};

export const fileShape = {
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

export const VERIFICATION_MODES = ["full", "strict", "certificate", "none"] as const;

export const logstashSslShape = {
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

export const logstashBackoffShape = {
  /** Wait before reconnecting after a failure, doubling per failure in a row. Duration, default 1s, 1s–1h. */
  init: duration(1, H).default(1),
  /** Cap of that wait. Duration, default 60s, 1s–1h, and ≥ `init`. */
  max: duration(1, H).default(60),
};

export const logstashShape = {
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

export const outputShape = {
  /** Events as JSON lines on stdout. */
  console: z.strictObject(consoleShape, { error: section() }).optional(),
  /** Events as JSON lines in rotated files. */
  file: z.strictObject(fileShape, { error: section() }).optional(),
  /** Events to Logstash / the LogRhythm Open Collector over the Beats (lumberjack v2) protocol. */
  logstash: z.strictObject(logstashShape, { error: section() }).optional(),
};
