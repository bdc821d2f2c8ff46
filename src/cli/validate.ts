import { existsSync } from "node:fs";
import { ConfigError, formatProblem, loadConfigFile } from "../config/load.ts";
import { registerSecret, scrubSecrets } from "../logging/redact.ts";
import { EXIT } from "./exit.ts";

/**
 * `s3beat validate`: every problem (errors, then unknown keys and other warnings) with its line and
 * key path, never a secret's value. Exit 0 only when the file is valid.
 */
export async function validateCommand(configPath: string): Promise<number> {
  const print = (line: string) => process.stdout.write(`${scrubSecrets(line)}\n`);
  if (!existsSync(configPath)) {
    print(`${configPath}: no such file. Create it with: s3beat setup -c ${configPath}`);
    return EXIT.usage;
  }
  try {
    const loaded = await loadConfigFile(configPath);
    for (const s of loaded.secrets) registerSecret(s);
    for (const w of loaded.warnings) print(`warning ${formatProblem(w, configPath)}`);
    print(`${configPath}: valid${loaded.warnings.length ? ` (${loaded.warnings.length} warning${loaded.warnings.length > 1 ? "s" : ""})` : ""}`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) print(`error   ${formatProblem(p, configPath)}`);
    for (const w of err.warnings) print(`warning ${formatProblem(w, configPath)}`);
    print(`${configPath}: INVALID, ${err.problems.length} error${err.problems.length > 1 ? "s" : ""}`);
    return EXIT.usage;
  }
}
