/**
 * Untrusted text (object keys, message bodies, server answers) reaches log lines. In JSON lines a
 * control character is already escaped, except the C1 range (U+0080–U+009F), which a terminal may
 * read as a control sequence: those are escaped here too. The pretty printer decodes the JSON and
 * would print a `\n` or ESC as the real character, so for it every escaped control character is
 * made visible text (`\n`, `\u001b`) instead: no value can start a line or drive the terminal.
 */

const C1 = /[\u0080-\u009f]/g;
// A JSON escape of a control character, preceded by an even number of backslashes (so it is one).
const CONTROL_ESCAPE = /(?<!\\)((?:\\\\)*)\\(n|r|t|b|f|u00[01][0-9a-fA-F]|u007[fF]|u00[89][0-9a-fA-F])/g;

/** `line` is one serialized JSON log line; `visible` is set for lines the pretty printer will decode. */
export function neutralizeJsonLine(line: string, visible = false): string {
  let out = line.replace(C1, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (visible) out = out.replace(CONTROL_ESCAPE, "$1\\\\$2");
  return out;
}
