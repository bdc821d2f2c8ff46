import { existsSync } from "node:fs";
import { ConfigError, formatProblem, loadConfigFile } from "../config/load.ts";
import { Daemon, StartupError } from "../daemon.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import { registerSecret, scrubSecrets } from "../logging/redact.ts";
import { EXIT } from "./exit.ts";

export function printError(text: string): void {
  process.stderr.write(`${scrubSecrets(text)}\n`);
}

export async function runCommand(configPath: string): Promise<number> {
  if (!existsSync(configPath)) {
    printError(
      `s3beat: config file ${configPath} does not exist.\n` +
        `Create it from the annotated example: cp config/s3beat.example.yml ${configPath} (then edit sqsQueues, credentials and the output),\n` +
        `or point at another file with: s3beat run -c FILE`,
    );
    return EXIT.usage;
  }
  let loaded;
  try {
    loaded = await loadConfigFile(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      printError(`s3beat: ${configPath} is not valid:\n${err.problems.map((p) => `  ${formatProblem(p, configPath)}`).join("\n")}`);
      return EXIT.usage;
    }
    throw err;
  }
  for (const s of loaded.secrets) registerSecret(s);
  const log = createLogger({ level: loaded.settings.logging.level, format: loaded.settings.logging.format });
  for (const w of loaded.warnings) log.warn(`config: ${formatProblem(w, configPath)}`);
  return runDaemon(new Daemon(loaded.settings, { log }), log);
}

/** Runs until SIGTERM/SIGINT (graceful) or a second signal (forced). */
export async function runDaemon(daemon: Daemon, log: Logger): Promise<number> {
  try {
    await daemon.start();
  } catch (err) {
    if (err instanceof StartupError) {
      log.fatal(err.message);
      await daemon.stop("startup failed");
      return EXIT.failure;
    }
    throw err;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log.warn({ signal }, "second signal: exiting now; unfinished messages reappear after their visibility timeout");
        process.exit(EXIT.failure);
      }
      log.info({ signal }, "signal received: graceful shutdown (send it again to force exit)");
      daemon.stop(signal).then(
        () => resolve(EXIT.ok),
        (err: unknown) => {
          log.error({ err }, "shutdown failed");
          resolve(EXIT.failure);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
