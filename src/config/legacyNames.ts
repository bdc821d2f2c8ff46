/** LogRhythm's names of two settings, read as aliases so that an unmigrated file still runs. */
import { isRec, type Rec, type SchemaIssue } from "./issues.ts";

export const LEGACY_NAMES = [
  ["assumeRoleArn", "roleArn"],
  ["stsCredsExpirationTime", "sessionDuration"],
] as const;

export interface Renamed {
  raw: Rec;
  errors: SchemaIssue[];
  warnings: SchemaIssue[];
  /** Puts an issue found under a new name back on the legacy key the file actually has. */
  back(issue: SchemaIssue): SchemaIssue;
}

/** Moves `s3beat.<legacy name>` to its new name; both set is an error (which one is right is the user's call). */
export function renameLegacy(raw: Rec): Renamed {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const moved: Array<[string, string]> = [];
  const s = raw.s3beat;
  if (!isRec(s)) return { raw, errors, warnings, back: (i) => i };
  const section: Rec = { ...s };
  for (const [legacy, name] of LEGACY_NAMES) {
    if (!Object.hasOwn(section, legacy)) continue;
    if (Object.hasOwn(section, name)) {
      errors.push({ path: `s3beat.${legacy}`, message: `legacy name of ${name}, which is also set: remove one of them` });
    } else {
      warnings.push({ path: `s3beat.${legacy}`, message: `legacy name: run s3beat migrate-config (it renames ${legacy} to ${name})` });
      section[name] = section[legacy];
      moved.push([`s3beat.${name}`, `s3beat.${legacy}`]);
    }
    delete section[legacy];
  }
  const back = (i: SchemaIssue): SchemaIssue => {
    for (const [now, was] of moved) {
      if (i.path === now || i.path.startsWith(`${now}[`) || i.path.startsWith(`${now}.`)) return { ...i, path: was + i.path.slice(now.length) };
    }
    return i;
  };
  return { raw: { ...raw, s3beat: section }, errors, warnings, back };
}
