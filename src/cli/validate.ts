import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ConfigError, formatProblem, loadConfigFile, type ConfigProblem } from "../config/load.ts";
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { registerSecret, scrubSecrets } from "../logging/redact.ts";
import { parseSource } from "../migrate/source.ts";
import { readVersion } from "../migrate/version.ts";
import { EXIT } from "./exit.ts";
import { commandLine, exportAdvice, unsetVariables } from "../setup/nextSteps.ts";

/**
 * `s3beat validate`: every problem (errors, then unknown keys and other warnings) with its line and
 * key path, never a secret's value. Exit 0 only when the file is valid; an old file that is valid
 * otherwise is valid, with a warning naming the migrate-config command.
 */
export async function validateCommand(configPath: string): Promise<number> {
  const print = (line: string) => process.stdout.write(`${scrubSecrets(line)}\n`);
  if (!existsSync(configPath)) {
    print(`${configPath}: no such file. Create it with: ${commandLine(["setup", "-c", configPath])}`);
    return EXIT.usage;
  }
  const old = await versionWarning(configPath);
  const warn = (warnings: readonly ConfigProblem[]) => {
    const all = [...warnings, ...old];
    for (const w of all) print(`warning ${formatProblem(w, configPath)}`);
    return all.length;
  };
  try {
    const loaded = await loadConfigFile(configPath);
    for (const s of loaded.secrets) registerSecret(s);
    const n = warn(loaded.warnings);
    print(`${configPath}: valid${n ? ` (${n} warning${n > 1 ? "s" : ""})` : ""}`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) print(`error   ${formatProblem(p, configPath)}`);
    warn(err.warnings);
    print(`${configPath}: INVALID, ${err.problems.length} error${err.problems.length > 1 ? "s" : ""}`);
    const unset = unsetVariables(err.problems);
    if (unset.length > 0) print(exportAdvice(unset, [commandLine(["validate", "-c", configPath])]));
    return EXIT.usage;
  }
}

/** A warning when the file predates the current config version (none when it cannot tell: the loader reports that). */
async function versionWarning(configPath: string): Promise<ConfigProblem[]> {
  const parsed = parseSource(await readFile(configPath, "utf8").catch(() => ""));
  if (!parsed.ok) return [];
  const read = readVersion(parsed.source);
  if ("problem" in read || read.version >= CURRENT_CONFIG_VERSION) return [];
  const fix = `needs migrate-config: run ${commandLine(["migrate-config", "-c", configPath])} (until then the settings it adds take their defaults)`;
  if (read.line === undefined) {
    return [{ path: "", message: `has no configVersion: it predates this s3beat's config version ${CURRENT_CONFIG_VERSION} and ${fix}` }];
  }
  return [
    {
      path: "configVersion",
      line: read.line,
      column: read.column,
      message: `${read.version} predates this s3beat's config version ${CURRENT_CONFIG_VERSION}; the file ${fix}`,
    },
  ];
}
