import { existsSync } from "node:fs";
import { formatProblem } from "../config/load.ts";
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { Daemon, StartupError } from "../daemon.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import { registerSecret } from "../logging/redact.ts";
import { takeEarlySignals } from "./earlySignals.ts";
import { EXIT } from "./exit.ts";
import { loadOrReport } from "./loadConfig.ts";
import { commandLine } from "../setup/nextSteps.ts";

export async function runCommand(configPath: string): Promise<number> {
  // First run on a terminal: ask the setup questions. Without one, loadOrReport explains (exit 2).
  if (!existsSync(configPath) && process.stdin.isTTY && process.stdout.isTTY) {
    const { firstRunSetup } = await import("./setup.ts");
    const code = await firstRunSetup(configPath);
    if (code !== EXIT.ok) return code;
  }
  const loaded = await loadOrReport(configPath);
  if (typeof loaded === "number") return loaded;
  for (const s of loaded.secrets) registerSecret(s);
  const log = createLogger({ level: loaded.settings.logging.level, format: loaded.settings.logging.format });
  for (const w of loaded.warnings) log.warn(`config: ${formatProblem(w, configPath)}`);
  if (loaded.configVersion < CURRENT_CONFIG_VERSION) {
    // It runs: the new settings take their defaults in memory. The file itself is left alone.
    log.warn(
      { configVersion: loaded.configVersion, currentVersion: CURRENT_CONFIG_VERSION },
      `config: ${configPath} is at version ${loaded.configVersion}, current is ${CURRENT_CONFIG_VERSION}: run ${commandLine(["migrate-config", "-c", configPath])} (defaults apply until then)`,
    );
  }
  return runDaemon(new Daemon(loaded.settings, { log, configVersion: loaded.configVersion, checkCommand: commandLine(["check", "-c", configPath]) }), log);
}

/**
 * Runs until SIGTERM/SIGINT (graceful) or a second signal (forced). The handlers are installed
 * before the daemon starts: an orchestrator may stop it while it is still resolving its queues.
 */
export async function runDaemon(daemon: Daemon, log: Logger): Promise<number> {
  let signals = 0;
  let stopped: ((code: number) => void) | undefined;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, "second signal: exiting now; unfinished messages reappear after their visibility timeout");
      process.exit(EXIT.failure);
    }
    log.info({ signal }, "signal received: graceful shutdown (send it again to force exit)");
    daemon.stop(signal).then(
      () => stopped?.(EXIT.ok),
      (err: unknown) => {
        log.error({ error: err }, "shutdown failed");
        stopped?.(EXIT.failure);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // A stop requested while the CLI was still loading: graceful, like any other.
  const early = takeEarlySignals()[0];
  if (early !== undefined) onSignal(early);
  try {
    await daemon.start();
  } catch (err) {
    if (signals > 0) return done; // stopped while starting: the stop decides the exit code
    if (err instanceof StartupError) {
      log.fatal(err.message);
      await daemon.stop("startup failed");
      return EXIT.failure;
    }
    throw err;
  }
  // A signal during start: the stop it began runs now that polling has started (it aborts it).
  return done;
}
