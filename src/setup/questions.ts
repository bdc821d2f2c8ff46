/**
 * The first-run questions (DESIGN §3 and LogRhythm's parameter table) as data: key, prompt text,
 * default, parser/validator and condition. Parsers throw an Error whose message is the reason shown
 * when an answer is re-asked (or listed by a non-interactive run); reasons never quote a secret.
 */
import { s3beatShape } from "../config/beatShape.ts";
import { checkRoleArn, ENCRYPTED_SECRET_RE } from "../config/checks.ts";
import { checkQueue } from "../config/queueEntry.ts";
import { option, rangeText, yamlDefault } from "../config/options.ts";
import { formatDuration, parseDurationSeconds } from "../config/units.ts";
import { OUTPUT_CHOICES, OUTPUT_QUESTIONS, parseOutputKind } from "./outputs.ts";
import { parseYesNo } from "./spec.ts";
import type { QuestionSpec } from "./spec.ts";
import type { Answers } from "./answers.ts";

const SESSION_DURATION = option("s3beat.sessionDuration");
const SESSION_NAME = option("s3beat.roleSessionName");

// Defined beside the types: the output questions (outputs.ts, imported here) use it as well.
export { parseYesNo } from "./spec.ts";

/** Comma-separated text → trimmed, non-empty entries. */
function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function parseQueues(text: string): string[] {
  const queues = splitList(text);
  if (queues.length === 0) throw new Error("enter at least one queue, e.g. my-queue:us-east-1");
  for (const q of queues) checkQueue(q);
  const twice = queues.find((q, i) => queues.indexOf(q) !== i);
  if (twice !== undefined) throw new Error(`"${twice}" is listed twice`);
  return queues;
}

function parseAccessKeyId(text: string): string {
  const id = text.trim();
  // AWS documents 16–128 word characters; real IDs are capital letters and digits (AKIA…).
  if (id !== "" && !/^[A-Z0-9]{16,128}$/.test(id)) {
    throw new Error("expected an access key ID: 16–128 capital letters and digits, like AKIAIOSFODNN7EXAMPLE (empty: read it from the environment)");
  }
  return id;
}

function parseSecret(text: string): string {
  const key = text.trim();
  if (/\s/.test(key)) throw new Error("a secret access key has no spaces (check what was pasted)");
  if (ENCRYPTED_SECRET_RE.test(key)) {
    throw new Error(
      "this looks encrypted by LogRhythm tooling, which s3beat cannot decrypt: enter the plain key, or leave it empty and set S3BEAT_SECRET_ACCESS_KEY",
    );
  }
  return key;
}

function parseRoles(text: string, answers: Partial<Answers>): string[] {
  const roles = splitList(text).map(checkRoleArn);
  if (roles.length === 0) throw new Error("enter the ARN of the role to assume, e.g. arn:aws:iam::123456789012:role/s3beat-reader");
  const queues = answers.sqsQueues?.length;
  if (roles.length > 1 && queues !== undefined && roles.length !== queues) {
    throw new Error(`${roles.length} roles for ${queues} queue(s): give one role for every queue, or exactly one per queue in the same order`);
  }
  return roles;
}

/** The schema's reason when `value` is not a valid `s3beat.<key>`, so setup and validate agree. */
function invalidSetting(key: "roleSessionName" | "externalId", value: string): string | undefined {
  const r = s3beatShape[key].safeParse(value);
  return r.success ? undefined : (r.error.issues[0]?.message ?? "is not valid");
}

function parseExternalId(text: string): string {
  const id = text.trim();
  const reason = invalidSetting("externalId", id);
  if (reason !== undefined) throw new Error(`${reason} (empty: none)`);
  return id;
}

function parseSessionName(text: string): string {
  const name = text.trim();
  const reason = invalidSetting("roleSessionName", name);
  if (reason !== undefined) throw new Error(reason);
  return name;
}

function parseSessionDuration(text: string): string {
  const seconds = parseDurationSeconds(text);
  const { min = 0, max = Infinity } = SESSION_DURATION.meta;
  if (seconds < min || seconds > max) throw new Error(`must be between ${rangeText(SESSION_DURATION, " and ")}, got ${text.trim()}`);
  return formatDuration(seconds);
}

const ASSUMING = { key: "assumeRoleFlag", is: true } as const;
const WITH_KEYS = { key: "awsFlag", is: false } as const;

/** The questions in the order they are asked. */
export const QUESTIONS: readonly QuestionSpec[] = [
  {
    key: "sqsQueues",
    kind: "input",
    message: 'SQS queue(s), comma-separated "name:region" or queue URLs:',
    parse: parseQueues,
  },
  {
    key: "awsFlag",
    kind: "select",
    message: "AWS credentials:",
    choices: [
      { value: "true", name: "inside AWS (default credential chain)" },
      { value: "false", name: "access keys" },
    ],
    default: "false",
    parse: parseYesNo,
  },
  {
    key: "accessKeyID",
    kind: "input",
    message: "Access key ID (empty: read S3BEAT_ACCESS_KEY_ID from the environment):",
    default: "",
    when: WITH_KEYS,
    parse: parseAccessKeyId,
  },
  {
    key: "secretAccessKey",
    kind: "password",
    message: "Secret access key (empty: read S3BEAT_SECRET_ACCESS_KEY from the environment):",
    default: "",
    when: WITH_KEYS,
    secret: true,
    parse: parseSecret,
  },
  {
    key: "assumeRoleFlag",
    kind: "confirm",
    message: "Assume an IAM role (STS AssumeRole, cross-account)?",
    default: "false",
    parse: parseYesNo,
  },
  {
    key: "roleArn",
    kind: "input",
    message: "Role ARN(s), comma-separated (one for all queues, or one per queue in order):",
    when: ASSUMING,
    parse: parseRoles,
  },
  {
    key: "externalId",
    kind: "input",
    message: "External ID the role's trust policy demands (empty: none):",
    default: "",
    when: ASSUMING,
    parse: parseExternalId,
  },
  {
    key: "roleSessionName",
    kind: "input",
    message: "Role session name (shows in CloudTrail):",
    default: yamlDefault(SESSION_NAME),
    when: ASSUMING,
    parse: parseSessionName,
  },
  {
    key: "sessionDuration",
    kind: "input",
    message: `Session duration (${rangeText(SESSION_DURATION, " to ")}, at most the role's MaxSessionDuration):`,
    default: yamlDefault(SESSION_DURATION),
    when: ASSUMING,
    parse: parseSessionDuration,
  },
  {
    key: "output",
    kind: "select",
    message: "Output:",
    choices: OUTPUT_CHOICES,
    default: "console",
    parse: parseOutputKind,
  },
  ...OUTPUT_QUESTIONS,
];

// What the file holds for questions that were not asked (their condition did not apply).
const UNASKED = {
  awsFlag: false,
  accessKeyID: "",
  secretAccessKey: "",
  assumeRoleFlag: false,
  roleArn: [],
  externalId: "",
  roleSessionName: yamlDefault(SESSION_NAME),
  sessionDuration: yamlDefault(SESSION_DURATION),
  outputPath: "",
  outputHosts: [],
  sslEnabled: false,
  sslCa: "",
  sslVerificationMode: "full",
} satisfies Partial<Answers>;

/** The full answer set from the answers of a finished flow; throws if a required answer is missing. */
export function complete(answers: Partial<Answers>): Answers {
  const { sqsQueues, output } = answers;
  if (sqsQueues === undefined || output === undefined) throw new Error("the setup flow ended without sqsQueues and output");
  return { ...UNASKED, ...answers, sqsQueues, output };
}
