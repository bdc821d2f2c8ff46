/**
 * The shape of s3beat.yml as a zod schema: the `s3beat:` and `output.*` sections (beatShape.ts,
 * outputShape.ts) plus `logging.*`, `http.*` and `configVersion`. Input is the plain object load.ts
 * builds from the YAML (dotted keys already nested, `${VAR}` already expanded).
 */
import { z } from "zod";
import { s3beatShape } from "./beatShape.ts";
import { duration, flag, int, oneOf, section, textToInt } from "./fields.ts";
import { outputShape } from "./outputShape.ts";

const H = 3600;

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
