/**
 * The one renderer of the setup: answers → the text of a commented s3beat.yml, in the style of
 * config/s3beat.example.yml. Interactive and non-interactive runs both write its output, so the same
 * answers give the same bytes.
 */
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { option, yamlComment, yamlDefault } from "../config/options.ts";
import { queueRegion } from "../config/queueEntry.ts";
import { OUTPUTS } from "./outputs.ts";
import type { Answers } from "./answers.ts";
import { commented, list, quote } from "./yamlText.ts";

/** A credential line: the typed value, or a reference to the environment when the answer was empty. */
function credential(key: string, value: string, envVar: string, a: Answers, comment: string): string {
  if (a.awsFlag) return commented(`  ${key}: ""`, "unused: awsFlag is true");
  if (value === "") return commented(`  ${key}: \${${envVar}}`, `${comment}; read from the environment`);
  return commented(`  ${key}: ${quote(value)}`, `${comment}; better: \${${envVar}} from the environment`);
}

/** The schema's one-line comment of `s3beat.<key>` (or of a full key path). */
const about = (key: string): string => yamlComment(option(key.includes(".") ? key : `s3beat.${key}`));

/** The s3beat.yml text for `a`. */
export function renderConfig(a: Answers): string {
  const region = a.sqsQueues.map(queueRegion).find((r) => r !== undefined) ?? "us-east-1";
  const lines = [
    "# s3beat.yml — written by `s3beat setup`. It may hold credentials: keep it mode 0600.",
    "# Every key and its default is described in config/s3beat.example.yml. Durations: 30s, 5m, 1h30m.",
    "# ${VAR} and ${VAR:default} expand from the environment; write $${ for a literal ${.",
    "# Check it with `s3beat validate`, then the AWS access with `s3beat check`.",
    "",
    "s3beat:",
    ...list("  ", "sqsQueues", a.sqsQueues, about("sqsQueues")),
    commented(`  region: ${region}`, about("region")),
    commented(`  awsFlag: ${a.awsFlag}`, about("awsFlag")),
    credential("accessKeyID", a.accessKeyID, "S3BEAT_ACCESS_KEY_ID", a, "base IAM user key"),
    credential("secretAccessKey", a.secretAccessKey, "S3BEAT_SECRET_ACCESS_KEY", a, "never logged"),
    commented(`  assumeRoleFlag: ${a.assumeRoleFlag}`, about("assumeRoleFlag")),
    ...list("  ", "roleArn", a.roleArn, about("roleArn")),
    commented(`  sessionDuration: ${a.sessionDuration}`, about("sessionDuration")),
    commented(`  roleSessionName: ${quote(a.roleSessionName)}`, about("roleSessionName")),
    commented(`  externalId: ${quote(a.externalId)}`, `${about("externalId")} ("" = none)`),
    commented(`  disableAuthRetry: ${yamlDefault(option("s3beat.disableAuthRetry"))}`, about("disableAuthRetry")),
    "",
    ...OUTPUTS[a.output].render(a),
    "",
    commented(`logging.level: ${yamlDefault(option("logging.level"))}`, about("logging.level")),
    commented("logging.format: json", "json | pretty (for a terminal); logs go to stderr"),
    "",
    // Written at the current version: a new file needs none of the migrations.
    commented(`configVersion: ${CURRENT_CONFIG_VERSION}`, "schema version of this file; s3beat migrate-config manages it, do not edit"),
  ];
  return `${lines.join("\n")}\n`;
}
