/**
 * The interactive path: each question on the terminal with @inquirer/prompts, validated as it is
 * answered (an invalid answer stays on screen with its reason until it is fixed).
 */
import { confirm, input, password, select } from "@inquirer/prompts";
import { QUESTIONS, complete, parseYesNo } from "./questions.ts";
import { applies, reasonInvalid, record, type QuestionSpec } from "./spec.ts";
import type { Answers } from "./answers.ts";

/** Asks one question; `validate` returns true or the reason to show. Resolves to the answer text. */
export type Ask = (spec: QuestionSpec, validate: (text: string) => string | true) => Promise<string>;

/** Asks the questions that apply, in order, and returns the complete answers. */
export async function askQuestions(ask: Ask, questions: readonly QuestionSpec[] = QUESTIONS): Promise<Answers> {
  const answers: Partial<Answers> = {};
  for (const spec of questions) {
    if (applies(spec, answers) !== true) continue;
    const text = await ask(spec, (t) => reasonInvalid(spec, t, answers) ?? true);
    record(answers, spec, text);
  }
  return complete(answers);
}

/** {@link Ask} on the process's terminal. */
export const askOnTerminal: Ask = async (spec, validate) => {
  switch (spec.kind) {
    case "input":
      // An empty default is no default: an empty reply stays empty ("read it from the environment").
      return input({ message: spec.message, default: spec.default || undefined, validate });
    case "password":
      return password({ message: spec.message, mask: true, toggleMask: false, validate });
    case "confirm":
      return String(await confirm({ message: spec.message, default: parseYesNo(spec.default ?? "n") }));
    case "select":
      return select({ message: spec.message, choices: spec.choices ?? [], default: spec.default });
  }
};

/** Asks whether an existing file may be replaced; No is the default. */
export function confirmOverwrite(path: string): Promise<boolean> {
  return confirm({ message: `${path} already exists. Overwrite it?`, default: false });
}
