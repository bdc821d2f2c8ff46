import pino, { type Logger, type DestinationStream } from "pino";
import { createRequire } from "node:module";
import { REDACTED_KEYS, scrubSecrets } from "./redact.ts";
import { neutralizeJsonLine } from "./sanitize.ts";

export type { Logger } from "pino";

export interface LoggerOptions {
  level: string;
  /** `auto`: pretty when the destination is a terminal, JSON otherwise. */
  format: "auto" | "json" | "pretty";
  /** Where log lines go; stderr by default, because stdout may carry events (output.console). */
  destination?: NodeJS.WritableStream;
}

/** pino-pretty is loaded only when asked for: a daemon logging JSON does not pay for it. */
function prettyStream(): typeof import("pino-pretty") {
  return createRequire(import.meta.url)("pino-pretty") as typeof import("pino-pretty");
}

/**
 * Every serialized line passes the scrubber (no secret) and the neutralizer (no control character
 * from untrusted text: an object key or a server's answer cannot start a line of its own or drive
 * the terminal) before it reaches the destination or the pretty printer.
 */
function guarded(dest: { write(s: string): unknown }, pretty: boolean): DestinationStream {
  return { write: (line: string) => void dest.write(neutralizeJsonLine(scrubSecrets(line), pretty)) };
}

/** The format `auto` resolves to for this destination. */
export function resolveFormat(format: LoggerOptions["format"], dest: NodeJS.WritableStream): "json" | "pretty" {
  if (format !== "auto") return format;
  return (dest as NodeJS.WriteStream).isTTY ? "pretty" : "json";
}

/**
 * JSON lines use ECS field names (`@timestamp`, `log.level` as a word, `message`), which the
 * collectors these operators run (Logstash, the Open Collector, Elastic) read without mapping.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const base = opts.destination ?? process.stderr;
  const format = resolveFormat(opts.format, base);
  const dest =
    format === "pretty"
      ? prettyStream()({
          destination: base,
          colorize: Boolean((base as NodeJS.WriteStream).isTTY),
          translateTime: "SYS:standard",
          messageKey: "message",
          timestampKey: "@timestamp",
          customLevels: "trace:10,debug:20,info:30,warn:40,error:50,fatal:60",
          // The keys hold a dot themselves: escaped, they are not read as nested paths.
          levelKey: "log\\.level",
          ignore: "pid,hostname,service\\.name",
        })
      : base;
  const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino(
    {
      level: opts.level,
      messageKey: "message",
      errorKey: "error",
      base: { "service.name": "s3beat" },
      redact: { paths: redactPaths, censor: "[REDACTED]" },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ "log.level": label }) },
    },
    guarded(dest, format === "pretty"),
  );
}

/** A logger that drops everything (unit tests of modules that log). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
