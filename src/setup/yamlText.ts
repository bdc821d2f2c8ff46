/** Small helpers that write YAML lines in the style of config/s3beat.example.yml. */

const COMMENT_COLUMN = 39;

/**
 * A user-supplied string as a YAML double-quoted scalar. JSON's escapes are all valid YAML, and `${`
 * becomes `$${` so that the loader's environment expansion gives back exactly what was typed.
 */
export function quote(value: string): string {
  // A replacer function: in a replacement string, `$$` would collapse to one `$`.
  return JSON.stringify(value.replaceAll("${", () => "$${"));
}

/** `text` with its one-line comment aligned like the example config. */
export function commented(text: string, comment: string): string {
  const gap = text.length < COMMENT_COLUMN ? " ".repeat(COMMENT_COLUMN - text.length) : "   ";
  return `${text}${gap}# ${comment}`;
}

/** A list value: `key: []` when empty, otherwise one `- "item"` line per item under the key. */
export function list(indent: string, key: string, items: readonly string[], comment: string): string[] {
  if (items.length === 0) return [commented(`${indent}${key}: []`, comment)];
  return [commented(`${indent}${key}:`, comment), ...items.map((i) => `${indent}  - ${quote(i)}`)];
}
