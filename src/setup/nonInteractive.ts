/**
 * `setup --non-interactive`: the answers come from `--set key=value` (first) and `S3BEAT_SETUP_<KEY>`
 * environment variables; defaults apply as on a terminal. Every problem is collected, so one run lists
 * every missing or invalid answer. Problems name keys and sources, never a value (it may be a secret).
 */
import { complete, QUESTIONS } from "./questions.ts";
import { applies, conditionText, failingCondition, reasonInvalid, record, type QuestionSpec } from "./spec.ts";
import type { AnswerKey, Answers } from "./answers.ts";

/** Prefix of the environment variables that answer the questions. */
export const SETUP_ENV_PREFIX = "S3BEAT_SETUP_";

/** `accessKeyID` → `S3BEAT_SETUP_ACCESS_KEY_ID`. */
export function envName(key: string): string {
  return SETUP_ENV_PREFIX + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

export interface Collected {
  /** Present only when there are no problems. */
  answers?: Answers;
  problems: string[];
}

interface Given {
  text: string;
  source: string;
}

/** The answers given on the command line and in the environment, by key (`--set` wins). */
function gather(sets: readonly string[], env: NodeJS.ProcessEnv, questions: readonly QuestionSpec[], problems: string[]) {
  const keys = questions.map((q) => q.key as string);
  const known = `known keys: ${keys.join(", ")}`;
  const knownVars = `known variables: ${keys.map(envName).join(", ")}`;
  const given = new Map<string, Given>();
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(SETUP_ENV_PREFIX) || text === undefined || text === "") continue; // VAR= means unset
    const key = keys.find((k) => envName(k) === name);
    if (key === undefined) problems.push(`${name}: not a setup answer (${knownVars})`);
    else given.set(key, { text, source: name });
  }
  sets.forEach((arg, i) => {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      problems.push(`--set (argument ${i + 1}): expected key=value, e.g. --set sqsQueues=my-queue:us-east-1`);
      return;
    }
    const key = arg.slice(0, eq).trim();
    if (!keys.includes(key)) problems.push(`--set ${key}: unknown key (${known})`);
    else given.set(key, { text: arg.slice(eq + 1), source: "--set" });
  });
  return given;
}

/** Walks the questions with the given answers; `answers` is set only when nothing is missing or invalid. */
export function collectAnswers(sets: readonly string[], env: NodeJS.ProcessEnv, questions: readonly QuestionSpec[] = QUESTIONS): Collected {
  const problems: string[] = [];
  const given = gather(sets, env, questions, problems);
  const answers: Partial<Answers> = {};
  for (const spec of questions) {
    const g = given.get(spec.key);
    const needed = applies(spec, answers);
    if (needed === false) {
      const unmet = failingCondition(spec.when, answers)!;
      if (g !== undefined) problems.push(`${spec.key}: only used when ${unmet.key} is ${String(unmet.is)} (from ${g.source})`);
      continue;
    }
    const text = g?.text ?? spec.default;
    if (text === undefined) {
      // Unknown whether it is needed (its condition's answer is itself wrong): that one is reported.
      if (needed) problems.push(`${spec.key}: missing — ${spec.message.replace(/[:?]$/, "")} (--set ${spec.key}=… or ${envName(spec.key)})`);
      continue;
    }
    const reason = reasonInvalid(spec, text, answers);
    if (reason !== undefined) problems.push(`${spec.key}: ${reason}${g ? ` (from ${g.source})` : ""}`);
    else if (needed) record(answers, spec, text);
  }
  return problems.length > 0 ? { problems } : { answers: complete(answers), problems };
}

/** The keys a non-interactive run accepts, with their variable names, for `--help`. */
export function answerKeysHelp(questions: readonly QuestionSpec[] = QUESTIONS): string {
  const rows = questions.map((q) => {
    const dflt = q.default === undefined ? (q.when ? "required when asked" : "required") : `default ${q.default === "" ? '""' : q.default}`;
    const when = q.when ? `, only when ${conditionText(q.when)}` : "";
    return `  ${(q.key as AnswerKey).padEnd(19)} ${envName(q.key).padEnd(34)} ${dflt}${when}`;
  });
  return (
    `Answers for --non-interactive (--set KEY=VALUE, or the environment variable; --set wins):\n${rows.join("\n")}\n` +
    `Give the secret key as ${envName("secretAccessKey")} rather than --set (command lines are visible to other users),\n` +
    "or leave both keys empty: the file then reads S3BEAT_ACCESS_KEY_ID / S3BEAT_SECRET_ACCESS_KEY at run time."
  );
}
