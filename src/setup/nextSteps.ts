/**
 * What to type next, printed by `setup` when it ends and by `run`/`check` when the file's `${VAR}`s
 * are not set: the `export` lines still needed, and commands spelt the way s3beat was started
 * (`npx s3beat`, `node bin/s3beat.js`, or `s3beat` when that is on PATH), so each runs as printed.
 */
import { accessSync, constants, realpathSync } from "node:fs";
import { delimiter, isAbsolute, join, relative } from "node:path";
import { ConfigError, loadConfigText, type ConfigProblem } from "../config/load.ts";
import { shellWord } from "../config/permissions.ts";

export { shellWord };

const realpath = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/** Whether `s3beat` on PATH is this very program (a global npm install, a link in /usr/local/bin). */
function onPath(script: string, pathVar: string | undefined): boolean {
  const self = realpath(script);
  if (self === undefined || !pathVar) return false;
  for (const dir of pathVar.split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const candidate = join(dir, "s3beat");
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // The first s3beat on PATH is the one a shell runs: it has to be this one.
    return realpath(candidate) === self;
  }
  return false;
}

export interface Invocation {
  /** process.argv[1]: the script Node runs. */
  script?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * How to start this s3beat again from the current directory, as the user started it: `npx s3beat`
 * under npx/npm exec, `s3beat` when the first one on PATH is this program, otherwise `node SCRIPT`
 * (relative to the current directory when inside it, e.g. `node bin/s3beat.js` in a clone).
 */
export function invocation({ script = process.argv[1], env = process.env, cwd = process.cwd() }: Invocation = {}): string {
  if (env.npm_command === "exec") return "npx s3beat";
  if (script === undefined || script === "") return "s3beat";
  if (onPath(script, env.PATH)) return "s3beat";
  const rel = relative(cwd, script);
  const shown = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : script;
  return `node ${shellWord(shown)}`;
}

/** `node bin/s3beat.js run -c s3beat.yml`. */
export function commandLine(args: readonly string[], how: Invocation = {}): string {
  return [invocation(how), ...args.map(shellWord)].join(" ");
}

/** The unset variables behind `problems`, each once, in order of appearance. */
export function unsetVariables(problems: readonly ConfigProblem[]): string[] {
  return [...new Set(problems.flatMap((p) => (p.variable === undefined ? [] : [p.variable])))];
}

/** The `${VAR}`s of a config text that `env` does not set (comments and `$${` escapes do not count). */
export function unsetVariablesOf(text: string, sourceName: string, env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfigText(text, sourceName, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return unsetVariables(err.problems);
    throw err;
  }
}

/** One `export NAME=...` line per variable, for the user to complete (never a value: it may be a secret). */
export function exportLines(names: readonly string[]): string[] {
  return names.map((n) => `export ${n}=...`);
}

/** "Set them (…), then:" with the export lines and the commands, indented by two spaces. */
export function exportAdvice(names: readonly string[], commands: readonly string[]): string {
  const them = names.length === 1 ? "it" : "them";
  const lines = [
    `Set ${them} in the shell that starts s3beat (replace ... with the value), then run:`,
    ...exportLines(names).map((l) => `  ${l}`),
    ...commands.map((c) => `  ${c}`),
  ];
  return lines.join("\n");
}
