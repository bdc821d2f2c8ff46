import { existsSync } from "node:fs";
import { ConfigError, formatProblem, loadConfigFile, type LoadedConfig } from "../config/load.ts";
import { scrubSecrets } from "../logging/redact.ts";
import { EXIT } from "./exit.ts";

export function printError(text: string): void {
  process.stderr.write(`${scrubSecrets(text)}\n`);
}

/** Loads the config for a command, or prints why it cannot and returns the exit code. */
export async function loadOrReport(configPath: string): Promise<LoadedConfig | number> {
  if (!existsSync(configPath)) {
    printError(
      `s3beat: config file ${configPath} does not exist.\n` +
        `Create it with the first-run questions: s3beat setup -c ${configPath}\n` +
        `  (without a terminal: s3beat setup -c ${configPath} --non-interactive --set sqsQueues=NAME:REGION [--set key=value]…),\n` +
        `or from the annotated example: cp config/s3beat.example.yml ${configPath} (then edit sqsQueues, credentials and the output),\n` +
        `or point at another file with: -c FILE`,
    );
    return EXIT.usage;
  }
  try {
    return await loadConfigFile(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      printError(`s3beat: ${configPath} is not valid:\n${err.problems.map((p) => `  ${formatProblem(p, configPath)}`).join("\n")}`);
      return EXIT.usage;
    }
    throw err;
  }
}
