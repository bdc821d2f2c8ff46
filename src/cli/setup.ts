/**
 * `s3beat setup`: the first-run questions (DESIGN §3), on a terminal or from `--set`/environment with
 * `--non-interactive`, then a commented s3beat.yml written with mode 0600. Also the first-run branch
 * of `s3beat run` when its config file does not exist.
 */
import { existsSync } from "node:fs";
import { ConfigError, formatProblem, loadConfigText } from "../config/load.ts";
import { registerSecret } from "../logging/redact.ts";
import { askOnTerminal, askQuestions, confirmOverwrite } from "../setup/interactive.ts";
import { commandLine, exportAdvice, unsetVariablesOf } from "../setup/nextSteps.ts";
import { collectAnswers } from "../setup/nonInteractive.ts";
import { renderConfig } from "../setup/render.ts";
import type { Answers } from "../setup/answers.ts";
import { writeConfigFile } from "../setup/write.ts";
import { EXIT } from "./exit.ts";
import { printError } from "./loadConfig.ts";

export interface SetupOptions {
  /** The file to write. */
  config: string;
  /** Take the answers from `set` and `S3BEAT_SETUP_*` instead of asking. */
  nonInteractive: boolean;
  /** `key=value` answers (non-interactive only). */
  set: string[];
  /** Replace an existing file without asking. */
  force: boolean;
}

/** Where the notes go, and whether to suggest the next commands (not when `run` goes on by itself). */
interface Out {
  say: (text: string) => void;
  next: boolean;
}
const SETUP_OUT: Out = { say: (t) => process.stdout.write(`${t}\n`), next: true };
// In `run`, stdout may carry the events (output.console): setup notes go to stderr there.
const RUN_OUT: Out = { say: (t) => process.stderr.write(`${t}\n`), next: false };

const isTerminal = () => Boolean(process.stdin.isTTY && process.stdout.isTTY);

/** `s3beat setup`. Resolves to the exit code. */
export async function setupCommand(opts: SetupOptions): Promise<number> {
  if (opts.nonInteractive) return nonInteractiveSetup(opts);
  if (opts.set.length > 0) {
    printError("s3beat setup: --set answers are read only with --non-interactive (on a terminal the questions are asked)");
    return EXIT.usage;
  }
  if (!isTerminal()) {
    printError(
      "s3beat setup: the questions need a terminal, and stdin/stdout are not one.\n" +
        `In a script or container use: ${commandLine(["setup", "-c", opts.config, "--non-interactive"])} --set sqsQueues=NAME:REGION [--set key=value]…\n` +
        `(${commandLine(["setup", "--help"])} lists the keys and their S3BEAT_SETUP_* environment variables)`,
    );
    return EXIT.usage;
  }
  return interactiveSetup(opts.config, opts.force, SETUP_OUT);
}

/** `s3beat run` with a missing config on a terminal: the first-run questions, then the caller loads the file. */
export function firstRunSetup(configPath: string): Promise<number> {
  RUN_OUT.say(`s3beat: ${configPath} does not exist; answer the first-run questions to create it (Ctrl-C to stop).`);
  return interactiveSetup(configPath, false, RUN_OUT);
}

async function interactiveSetup(path: string, force: boolean, out: Out): Promise<number> {
  const exists = existsSync(path);
  try {
    if (exists && !force && !(await confirmOverwrite(path))) {
      out.say(`Kept ${path}; nothing written.`);
      return EXIT.ok;
    }
    const answers = await askQuestions(askOnTerminal);
    return await finish(path, answers, exists, out);
  } catch (err) {
    // Ctrl-C or a closed terminal ends a prompt with this error.
    if (err instanceof Error && err.name === "ExitPromptError") {
      printError("s3beat setup: cancelled; nothing written");
      return EXIT.failure;
    }
    throw err;
  }
}

async function nonInteractiveSetup(opts: SetupOptions): Promise<number> {
  const exists = existsSync(opts.config);
  const problems = exists && !opts.force ? [`${opts.config} already exists: pass --force to overwrite it`] : [];
  const collected = collectAnswers(opts.set, process.env);
  problems.push(...collected.problems);
  if (problems.length > 0 || collected.answers === undefined) {
    const n = problems.length;
    printError(`s3beat setup: nothing written, ${n} problem${n === 1 ? "" : "s"}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    return EXIT.usage;
  }
  return finish(opts.config, collected.answers, exists, SETUP_OUT);
}

// Stand-ins for the variables the file may reference, to check the rendered text loads.
const PLACEHOLDER_ENV = { S3BEAT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", S3BEAT_SECRET_ACCESS_KEY: "placeholder-secret-for-validation" };

/**
 * The export lines still needed before `run` starts (the file's `${VAR}`s not set here), then the
 * commands to check the file, the AWS access, and to run, spelt the way s3beat was started.
 */
export function closingSteps(path: string, unset: readonly string[]): string {
  const commands = ["validate", "check", "run"].map((c) => commandLine([c, "-c", path]));
  if (unset.length === 0) return ["Next:", ...commands.map((c) => `  ${c}`)].join("\n");
  const names = unset.length === 1 ? unset[0]! : `${unset.slice(0, -1).join(", ")} and ${unset.at(-1)!}`;
  return `${path} reads ${names} from the environment, not set here.\n${exportAdvice(unset, commands)}`;
}

/** Renders, checks that the text loads, writes it (mode 0600) and says what comes next. */
async function finish(path: string, answers: Answers, overwrite: boolean, out: Out): Promise<number> {
  registerSecret(answers.secretAccessKey); // scrubbed from anything printed from here on
  const text = renderConfig(answers);
  try {
    loadConfigText(text, path, PLACEHOLDER_ENV);
  } catch (err) {
    // A renderer bug, not the user's: the questions validated every answer.
    if (!(err instanceof ConfigError)) throw err;
    printError(`s3beat setup: internal error, the file would not load; nothing written:\n${err.problems.map((p) => `  ${formatProblem(p, path)}`).join("\n")}`);
    return EXIT.failure;
  }
  try {
    await writeConfigFile(path, text, overwrite);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    printError(
      `s3beat setup: cannot write ${path}: ${code === "EEXIST" ? "it was created while the questions were asked; nothing written" : (err as Error).message}`,
    );
    return EXIT.failure;
  }
  out.say(`Wrote ${path} (mode 0600).`);
  // In `run`, the load that follows reports unset variables itself, with the same export lines.
  if (out.next) out.say(closingSteps(path, unsetVariablesOf(text, path, process.env)));
  return EXIT.ok;
}
