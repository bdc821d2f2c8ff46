/**
 * The shape of s3beat.yml as a zod schema: the `s3beat:` and `output.*` sections (beatShape.ts,
 * outputShape.ts) plus `logging.*`, `http.*` and `configVersion`. Input is the plain object load.ts
 * builds from the YAML (dotted keys already nested, `${VAR}` already expanded).
 */
import { z } from "zod";
import { s3beatShape } from "./beatShape.ts";
import { doc, duration, flag, int, oneOf, section, textToInt } from "./fields.ts";
import { outputShape } from "./outputShape.ts";

const H = 3600;

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

const loggingShape = {
  level: doc(z.preprocess((v) => (v === "warning" ? "warn" : v), oneOf(LEVELS)).default("info"), { doc: "libbeat's `warning` is read as `warn`." }),
  format: doc(oneOf(["auto", "json", "pretty"]).default("auto"), {
    doc: "`auto`: readable on a terminal, JSON otherwise; `json`: ECS field names; `pretty`. Logs always go to stderr.",
    brief: "{range}: auto = pretty on a terminal, else json (ECS fields); logs go to stderr",
  }),
  metrics: z
    .strictObject(
      {
        enabled: doc(flag().default(true), {
          doc: "The summary line every period (also when idle), libbeat's name. `false` turns it off.",
          brief: "the summary line every period (also when idle)",
        }),
        period: doc(duration(0, 24 * H).default(30), {
          doc: "How often the summary is logged and the queues' backlog read for `/metrics`; `0` turns the summary off.",
          brief: "{range}: how often the summary is logged and the queues' backlog read",
        }),
      },
      { error: section() },
    )
    .prefault({}),
};

/** Default port of the monitoring endpoint (libbeat's). */
export const DEFAULT_HTTP_PORT = 5066;

const httpShape = {
  enabled: doc(flag().default(false), {
    doc: "The monitoring endpoint (`/`, `/healthz`, `/readyz`, `/metrics`). Off: no listening socket.",
    brief: "off: no listening socket",
  }),
  host: doc(z.string({ error: "expected a host name or IP address" }).min(1, "must not be empty").default("127.0.0.1"), {
    doc: "Address the endpoint binds; `0.0.0.0` for probes from outside a container.",
    brief: "0.0.0.0 in a container whose probes come from outside",
  }),
  port: doc(int(0, 65535).default(DEFAULT_HTTP_PORT), { doc: "0: any free port, logged at start.", brief: "{range}; 0 = any free port" }),
};

export const configSchema = z.strictObject({
  configVersion: doc(
    z.preprocess(textToInt, z.int({ error: "expected a whole number (s3beat migrate-config manages it)" }).min(0, "must be 0 or more")).optional(),
    {
      doc: "Schema version of the file, written by `s3beat migrate-config` and `s3beat setup`; do not edit. Below the current version, `run` warns.",
      defaultText: "`0` (absent)",
    },
  ),
  s3beat: z.strictObject(s3beatShape, {
    error: section("missing section: add s3beat: with at least sqsQueues"),
  }),
  output: z.strictObject(outputShape, { error: section() }).optional(),
  logging: z.strictObject(loggingShape, { error: section() }).prefault({}),
  http: z.strictObject(httpShape, { error: section() }).prefault({}),
});

export type ConfigYaml = z.output<typeof configSchema>;
