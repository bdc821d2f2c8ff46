/**
 * The credentials of an existing file, for migrate-config: which ones LogRhythm's tooling encrypted
 * (`2||base64…`, which s3beat cannot decrypt), the edits of `--secrets-from-env` that put a `${VAR}`
 * reference in their place, and a copy of the text with every secret value masked, for the diff.
 * No function here returns or describes a secret's value.
 */
import { isScalar, Scalar } from "yaml";
import { SECRET_KEYS, SECRET_VARIABLES } from "../config/permissions.ts";
import { ENCRYPTED_SECRET_RE } from "../config/checks.ts";
import { BEAT, findBeatSettings, type BeatSetting } from "../config/beatSettings.ts";
import { parseSource, type ParsedSource } from "./source.ts";
import { applyEdits, lineBreakOf } from "./text.ts";
import type { TextEdit } from "./types.ts";

export interface EncryptedSecret {
  name: (typeof SECRET_KEYS)[number];
  /** The key as the file writes it: `accessKeyID`, or `s3beat.accessKeyID` in the dotted form. */
  written: string;
  /** 1-based line of the key. */
  line: number;
  /** The environment variable that replaces it. */
  variable: string;
  setting: BeatSetting;
}

/** What the user is told about an encrypted credential (never its value). */
export type EncryptedKey = Omit<EncryptedSecret, "setting">;

const isSecretKey = (name: string): name is EncryptedSecret["name"] => (SECRET_KEYS as readonly string[]).includes(name);

/** A setting that is a single value (`s3beat.secretAccessKey.x:` in the dotted form is not). */
const isValueSetting = (s: BeatSetting): boolean => s.form === "nested" || s.pair.key.value === `${BEAT}.${s.name}`;

/** The credentials whose values look encrypted, in file order. */
export function findEncryptedSecrets(source: ParsedSource): EncryptedSecret[] {
  const found: EncryptedSecret[] = [];
  for (const s of findBeatSettings(source.top).settings) {
    if (!isSecretKey(s.name) || !isValueSetting(s)) continue;
    const value = s.pair.value;
    if (!isScalar(value) || typeof value.value !== "string" || !ENCRYPTED_SECRET_RE.test(value.value)) continue;
    found.push({
      name: s.name,
      written: s.form === "dotted" ? `${BEAT}.${s.name}` : s.name,
      line: source.position(s.pair.key.range![0]).line,
      variable: SECRET_VARIABLES[s.name],
      setting: s,
    });
  }
  return found.toSorted((a, b) => a.line - b.line);
}

/**
 * The scalar `value` rewritten as `replacement`, in the same quoting; a plain scalar stays plain
 * except inside a `{…}` flow mapping, where `${…}` needs quotes. A block scalar (`|`) becomes a
 * double-quoted one on the key's line.
 */
function rewriteScalar(text: string, value: Scalar, replacement: string, inFlow: boolean): TextEdit {
  const [start, end] = value.range!;
  switch (value.type) {
    case Scalar.QUOTE_SINGLE:
      return { start, end, text: `'${replacement.replaceAll("'", "''")}'` };
    case Scalar.PLAIN:
      if (!inFlow) return { start, end, text: replacement };
      return { start, end, text: JSON.stringify(replacement) };
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED:
      // The block's range runs to the start of the line after its last one: keep that line break.
      return { start, end, text: JSON.stringify(replacement) + (end > 0 && text[end - 1] === "\n" ? lineBreakOf(text) : "") };
    default:
      return { start, end, text: JSON.stringify(replacement) };
  }
}

/** `--secrets-from-env`: the edits that replace every encrypted credential by its `${VAR}`, quoting and comments kept. */
export function replaceEncryptedSecrets(source: ParsedSource, secrets: readonly EncryptedSecret[]): TextEdit[] {
  return secrets.map((s) => rewriteScalar(source.text, s.setting.pair.value as Scalar, `\${${s.variable}}`, s.setting.map.flow === true));
}

/** The description of `secrets`, without their nodes. */
export const encryptedKeys = (secrets: readonly EncryptedSecret[]): EncryptedKey[] => secrets.map(({ setting: _, ...key }) => key);

/** `${NAME}` and nothing else: no part of the value is in the file. */
const REFERENCE_ONLY = /^\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*$/;
/** Settings whose values a diff must never show. */
const MASKED = new Set<string>([...SECRET_KEYS, "externalId"]);
const MASK = "[REDACTED]";

/**
 * `text` with the value of every credential written in it (not a lone `${VAR}`) replaced by
 * [REDACTED], quotes kept, so that a diff shows which lines change and never what they held.
 * A text that does not parse is returned masked line by line instead.
 */
export function maskSecrets(text: string): string {
  const parsed = parseSource(text);
  if (!parsed.ok) return text.replace(/^(\s*(?:s3beat\.)?(?:accessKeyID|secretAccessKey|externalId)\s*:).*$/gm, `$1 ${MASK}`);
  const edits: TextEdit[] = [];
  for (const s of findBeatSettings(parsed.source.top).settings) {
    if (!MASKED.has(s.name) || !isValueSetting(s)) continue;
    const value = s.pair.value;
    if (value === null || value === undefined) continue;
    if (isScalar(value)) {
      if (value.value === null || value.value === "" || (typeof value.value === "string" && REFERENCE_ONLY.test(value.value))) continue;
      edits.push(rewriteScalar(text, value, MASK, s.map.flow === true));
    } else {
      // A list or mapping where a string belongs: invalid, but it may still hold the secret.
      const range = (value as { range?: [number, number, number] }).range;
      if (range) edits.push({ start: range[0], end: range[1], text: MASK + (text[range[1] - 1] === "\n" ? lineBreakOf(text) : "") });
    }
  }
  return applyEdits(text, edits);
}
