/**
 * The types of the first-run question flow (DESIGN §3). The flow itself is data (questions.ts), so the
 * interactive prompts, the non-interactive `--set`/environment path and the tests walk the same list.
 */
import type { AnswerKey, Answers } from "./answers.ts";

/** How a question is asked on a terminal. Every kind yields text that the spec's `parse` accepts. */
export type PromptKind = "input" | "password" | "confirm" | "select";

export interface Choice {
  /** The text `parse` receives (and that `--set key=value` takes). */
  value: string;
  /** What the terminal shows. */
  name: string;
}

/** "Ask only when the answer to `key` is `is`", e.g. the role questions only after assumeRoleFlag y. */
export interface Condition {
  key: AnswerKey;
  is: unknown;
  /** Must hold as well, and is checked first: the condition of the question `key` itself (ssl CA → ssl y → logstash). */
  and?: Condition;
}

/** `output=logstash and sslEnabled=true`, outermost first. */
export function conditionText(c: Condition): string {
  const own = `${c.key}=${String(c.is)}`;
  return c.and ? `${conditionText(c.and)} and ${own}` : own;
}

/** The first condition of the chain (outermost first) that is false or unknown, or undefined when all hold. */
export function failingCondition(c: Condition | undefined, answers: Partial<Answers>): Condition | undefined {
  if (c === undefined) return undefined;
  const outer = failingCondition(c.and, answers);
  if (outer !== undefined) return outer;
  return answers[c.key] === c.is ? undefined : c;
}

interface SpecOf<K extends AnswerKey> {
  key: K;
  kind: PromptKind;
  /** The prompt text shown on the terminal. */
  message: string;
  /** Answer used on an empty reply (interactive) or when none is given (non-interactive). Absent: required. */
  default?: string;
  choices?: readonly Choice[];
  when?: Condition;
  /** Never shown back: masked on the terminal, and reasons about it never quote it. */
  secret?: boolean;
  /** Text → answer. Throws an Error whose message is the reason shown to the user. */
  parse: (text: string, answers: Partial<Answers>) => Answers[K];
}

/** One question of the flow. */
export type QuestionSpec = { [K in AnswerKey]: SpecOf<K> }[AnswerKey];

/** y/yes/true or n/no/false, any case. */
export function parseYesNo(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (["y", "yes", "true"].includes(t)) return true;
  if (["n", "no", "false"].includes(t)) return false;
  throw new Error("answer y or n");
}

/**
 * Whether `spec` is asked given the answers so far: true or false, or undefined when the answer its
 * condition depends on is itself missing or invalid (non-interactive runs report those first).
 */
export function applies(spec: QuestionSpec, answers: Partial<Answers>): boolean | undefined {
  const failing = failingCondition(spec.when, answers);
  if (failing === undefined) return true;
  return answers[failing.key] === undefined ? undefined : false;
}

/** The reason `text` is not a valid answer to `spec`, or undefined when it is. */
export function reasonInvalid(spec: QuestionSpec, text: string, answers: Partial<Answers>): string | undefined {
  try {
    spec.parse(text, answers);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Stores a parsed answer (the key/value correlation is guaranteed by SpecOf). */
export function record(answers: Partial<Answers>, spec: QuestionSpec, text: string): void {
  (answers as Record<AnswerKey, unknown>)[spec.key] = spec.parse(text, answers);
}
