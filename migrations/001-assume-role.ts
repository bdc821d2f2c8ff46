/**
 * 001: the STS AssumeRole settings (DESIGN §4). Adds them with their defaults right after the
 * credential keys, and maps LogRhythm's older names onto the new ones, keeping values and comments;
 * comments on or right above a renamed key that name the old key are updated to the new name.
 */
import { commentOffsets } from "../src/migrate/source.ts";
import type { YAMLMap } from "yaml";
import { BEAT, findBeatSettings, settingsNamed, type BeatSetting } from "../src/config/beatSettings.ts";
import { LEGACY_NAMES } from "../src/config/legacyNames.ts";
import { option, yamlComment, yamlDefault } from "../src/config/options.ts";
import { insertAfter, keyIndent, preferredCommentColumn, renameKey, renameInComments, settingLine, type EditContext } from "../src/migrate/keyEdits.ts";
import { positionOf } from "../src/migrate/text.ts";
import type { MigrationInput, MigrationProblem, MigrationResult, TextEdit } from "../src/migrate/types.ts";

/** A file with this migration applied has `configVersion: 1`. */
export const version = 1;
/** Shown in migrate-config's report. */
export const description = "STS AssumeRole settings";

/** Added when missing, in this order, each with its default and its one-line comment from the schema. */
const ADDED = ["assumeRoleFlag", "roleArn", "sessionDuration", "roleSessionName", "externalId", "disableAuthRetry"].map((key) => {
  const o = option(`${BEAT}.${key}`);
  return { key, value: yamlDefault(o), comment: yamlComment(o) };
});

/** LogRhythm's names for two of them. */
const LEGACY = LEGACY_NAMES.map(([from, to]) => ({ from, to }));

/** The new keys go after the first of these that the file has (else at the end of the section). */
const ANCHORS = ["secretAccessKey", "accessKeyID", "awsFlag"] as const;

/** Pure: the edits that add the missing settings and rename the legacy ones. */
export function migrate({ doc, text, comments: commentStarts }: MigrationInput): MigrationResult {
  const ctx: EditContext = { text, comments: commentStarts ?? commentOffsets(text) };
  const at = (s: BeatSetting) => positionOf(text, s.pair.key.range![0]);
  const edits: TextEdit[] = [];
  const changes: string[] = [];
  const problems: MigrationProblem[] = [];
  const beat = findBeatSettings(doc.contents as YAMLMap);
  if (beat.settings.length === 0) {
    problems.push({ path: BEAT, message: `no ${BEAT}: settings in this file; is it an s3beat config?` });
    return { edits, changes, problems };
  }
  const present = new Set(beat.settings.map((s) => s.name));
  const renamed: BeatSetting[] = [];

  for (const { from, to } of LEGACY) {
    const [current] = settingsNamed(beat, to);
    for (const old of settingsNamed(beat, from)) {
      if (current !== undefined) {
        // Which of the two values is right is the operator's call, not ours: both stay as they are.
        problems.push({
          path: `${BEAT}.${from}`,
          ...at(old),
          message: `is LogRhythm's older name of ${to}, which is also set (line ${at(current).line}): delete the one that is wrong, then run migrate-config again`,
        });
        continue;
      }
      edits.push(...renameKey(ctx, old.pair, from, to));
      const prefix = old.form === "dotted" ? `${BEAT}.` : "";
      changes.push(`renamed ${prefix}${from} → ${prefix}${to} on line ${at(old).line} (value and comments kept)`);
      present.add(to);
      renamed.push(old);
    }
  }
  // "# assumeRoleArn: one per queue" above a key that is now roleArn would name a key the file no longer has.
  const comments = renameInComments(
    ctx,
    renamed.map((s) => s.pair),
    LEGACY,
  );
  edits.push(...comments.edits);
  changes.push(...comments.changes);

  const missing = ADDED.filter((a) => !present.has(a.key));
  if (missing.length === 0) return { edits, changes, problems };
  const credential = ANCHORS.map((name) => settingsNamed(beat, name)[0]).find((s) => s !== undefined);
  const anchor = credential ?? lastSetting(beat.settings, beat.section);
  if (anchor.map.flow) {
    problems.push({
      path: BEAT,
      ...at(anchor),
      message: `the ${BEAT} settings are written as a {…} flow mapping; write them as an indented block, then run migrate-config again`,
    });
    return { edits, changes, problems };
  }
  const siblings = beat.settings.filter((s) => s.map === anchor.map).map((s) => s.pair);
  const commentColumn = preferredCommentColumn(ctx, siblings);
  const indent = keyIndent(ctx, anchor.pair);
  const prefix = anchor.form === "dotted" ? `${BEAT}.` : "";
  edits.push(
    insertAfter(
      ctx,
      anchor.pair,
      missing.map((a) => settingLine(indent, prefix + a.key, a.value, a.comment, commentColumn)),
    ),
  );
  const where = credential ? `after ${prefix}${credential.name} on line ${at(credential).line}` : `at the end of the ${BEAT} settings`;
  changes.push(`added ${missing.map((a) => `${prefix}${a.key}: ${a.value}`).join(", ")} (${where})`);
  return { edits, changes, problems };
}

/** The last setting of the nested section if there is one, else the last dotted one. */
function lastSetting(settings: BeatSetting[], section: YAMLMap | undefined): BeatSetting {
  const nested = settings.filter((s) => s.map === section);
  return (nested.length > 0 ? nested : settings).at(-1)!;
}
