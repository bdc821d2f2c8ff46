/** Log lines of a unit under test, each parsed from its JSON line, for tests that assert what the operator reads. */
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { createLogger } from "../../src/logging/logger.ts";

export type LogLine = Record<string, unknown>;

/**
 * A debug-level logger and the lines it wrote. Plain pino (`level` as a number: 20 debug, 30 info,
 * 40 warn, 50 error; the text in `msg`) unless `ecs`: then s3beat's own logger, with its redaction
 * and ECS fields (`log.level` as a word, the text in `message`).
 */
export function captureLogs(opts: { ecs?: boolean } = {}): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { log: opts.ecs ? createLogger({ level: "debug", format: "json", destination: sink }) : pino({ level: "debug" }, sink), lines };
}
