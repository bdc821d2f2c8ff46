/**
 * A config file that holds a credential must not be readable by other users. Written as a `${VAR}`
 * reference the secret lives in the environment and the file may be shared; written literally
 * (plain, LogRhythm-encrypted, or as the default of `${VAR:default}`), the file must be 0600.
 */
import { isScalar } from "yaml";
import type { YAMLMap } from "yaml";
import { findBeatSettings } from "./beatSettings.ts";

/** The credential keys of the s3beat section, and the variables the docs and migrate-config use for them. */
export const SECRET_KEYS = ["accessKeyID", "secretAccessKey"] as const;
export const SECRET_VARIABLES: Readonly<Record<(typeof SECRET_KEYS)[number], string>> = {
  accessKeyID: "S3BEAT_ACCESS_KEY_ID",
  secretAccessKey: "S3BEAT_SECRET_ACCESS_KEY",
};

/** `${NAME}` and nothing else: the value comes from the environment, none of it is in the file. */
const REFERENCE_ONLY = /^\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*$/;

export interface LiteralSecret {
  /** `s3beat.secretAccessKey` */
  path: string;
  name: (typeof SECRET_KEYS)[number];
  /** Offset of the key in the text. */
  offset: number;
}

/** The credentials written in the file itself (not as a lone `${VAR}`), nested or dotted, in file order. */
export function literalSecrets(top: YAMLMap): LiteralSecret[] {
  const found: LiteralSecret[] = [];
  for (const s of findBeatSettings(top).settings) {
    const name = SECRET_KEYS.find((k) => k === s.name);
    if (name === undefined) continue;
    // `s3beat.secretAccessKey.x:` is a (broken) section, not a value in the file.
    if (s.form === "dotted" && s.pair.key.value !== `s3beat.${name}`) continue;
    const value = s.pair.value;
    if (value === null || value === undefined) continue;
    if (isScalar(value) && (value.value === null || value.value === "" || (typeof value.value === "string" && REFERENCE_ONLY.test(value.value)))) continue;
    found.push({ path: `s3beat.${name}`, name, offset: s.pair.key.range?.[0] ?? 0 });
  }
  return found.toSorted((a, b) => a.offset - b.offset);
}

/** A file path as one shell word (bare when plainly safe, else single-quoted), for the commands messages name. */
export const shellWord = (text: string): string => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`);

/** The warning for `mode`, when `mode` lets the group or others at a file that holds `secrets`; else undefined. */
export function exposedSecretsMessage(secrets: readonly LiteralSecret[], mode: number, file: string): string | undefined {
  if (secrets.length === 0 || (mode & 0o077) === 0) return undefined;
  const names = [...new Set(secrets.map((s) => s.name))];
  const others = names.slice(1).map((n) => `s3beat.${n}`);
  const octal = (mode & 0o777).toString(8).padStart(4, "0");
  const refs = names.map((n) => `${n}: \${${SECRET_VARIABLES[n]}}`).join(", ");
  return (
    `is a literal secret in this file${others.length ? ` (so is ${others.join(", ")})` : ""}, and the file's mode ${octal} lets its group or other users read it: ` +
    `chmod 600 ${shellWord(file)} (or keep the ${names.length > 1 ? "secrets" : "secret"} in the environment: ${refs})`
  );
}
