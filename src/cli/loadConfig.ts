import { existsSync } from "node:fs";
import { ConfigError, formatProblem, loadConfigFile, type LoadedConfig } from "../config/load.ts";
import { scrubSecrets } from "../logging/redact.ts";
import { commandLine, exportAdvice, exportLines, unsetVariables } from "../setup/nextSteps.ts";
import { EXIT } from "./exit.ts";

export function printError(text: string): void {
  process.stderr.write(`${scrubSecrets(text)}\n`);
}

/**
 * Every problem with its line; when `${VAR}`s are unset, also the `export` lines that set them and
 * the same command again, spelt as it was typed (`node bin/s3beat.js run -c FILE`, `npx s3beat …`).
 */
export function describeLoadError(err: ConfigError, configPath: string, argv: readonly string[] = process.argv.slice(2)): string {
  const list = err.problems.map((p) => `  ${formatProblem(p, configPath)}`).join("\n");
  const unset = unsetVariables(err.problems);
  if (unset.length === 0) return `s3beat: ${configPath} is not valid:\n${list}`;
  if (err.problems.every((p) => p.variable !== undefined)) {
    return `s3beat: ${configPath} reads environment variables that are not set:\n${list}\n${exportAdvice(unset, [commandLine(argv)])}`;
  }
  // Other problems may be the unset values' doing (e.g. one key of a pair): set them first.
  const steps = [...exportLines(unset), commandLine(argv)].map((l) => `  ${l}`).join("\n");
  return `s3beat: ${configPath} is not valid:\n${list}\nSet the variables (replace ... with the value), then run it again to see what remains:\n${steps}`;
}

/** Loads the config for a command, or prints why it cannot and returns the exit code. */
export async function loadOrReport(configPath: string): Promise<LoadedConfig | number> {
  if (!existsSync(configPath)) {
    printError(
      `s3beat: config file ${configPath} does not exist.\n` +
        `Create it with the first-run questions: ${commandLine(["setup", "-c", configPath])}\n` +
        `  (without a terminal: ${commandLine(["setup", "-c", configPath, "--non-interactive"])} --set sqsQueues=NAME:REGION [--set key=value]…),\n` +
        `or from the annotated example: cp config/s3beat.example.yml ${configPath} (then edit sqsQueues, credentials and the output),\n` +
        `or point at another file with: -c FILE`,
    );
    return EXIT.usage;
  }
  try {
    return await loadConfigFile(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      printError(describeLoadError(err, configPath));
      return EXIT.usage;
    }
    throw err;
  }
}
