import pino, { type Logger, type DestinationStream } from "pino";
import { createRequire } from "node:module";
import { REDACTED_KEYS, scrubSecrets } from "./redact.ts";

export type { Logger } from "pino";

export interface LoggerOptions {
  level: string;
  format: "json" | "pretty";
  /** Where log lines go; stderr by default, because stdout may carry events (output.console). */
  destination?: NodeJS.WritableStream;
}

/** pino-pretty is loaded only when asked for: a daemon logging JSON does not pay for it. */
function prettyStream(): typeof import("pino-pretty") {
  return createRequire(import.meta.url)("pino-pretty") as typeof import("pino-pretty");
}

/** Every serialized line passes the scrubber before it reaches the destination. */
function scrubbing(dest: NodeJS.WritableStream): DestinationStream {
  return { write: (line: string) => dest.write(scrubSecrets(line)) };
}

export function createLogger(opts: LoggerOptions): Logger {
  const base = opts.destination ?? process.stderr;
  const dest = opts.format === "pretty" ? prettyStream()({ destination: base, colorize: Boolean((base as NodeJS.WriteStream).isTTY), translateTime: "SYS:standard", ignore: "pid,hostname" }) : base;
  const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino(
    {
      name: "s3beat",
      level: opts.level,
      base: { service: "s3beat" },
      redact: { paths: redactPaths, censor: "[REDACTED]" },
      serializers: { err: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    scrubbing(dest),
  );
}

/** A logger that drops everything (unit tests of modules that log). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
