/**
 * `${VAR}` / `${VAR:default}` expansion for string values of s3beat.yml, so secrets can stay in the
 * environment. `$${` writes a literal `${`. Problems are collected, not thrown, so the loader can
 * report every missing variable with its line in one go.
 */

export interface Expansion {
  /** The expanded text (unresolvable references are left out). */
  value: string;
  /** Names of referenced variables that are unset and have no default, in order of appearance. */
  missing: string[];
  /** Descriptions of malformed references. They never quote the text, which may be a secret. */
  malformed: string[];
}

const REF_RE = /^([A-Za-z_][A-Za-z0-9_]*)(?::([^]*))?$/;

/**
 * Expands every reference in `text` from `env`. A variable that is set but empty counts as unset when
 * a default is given (as in a shell's `${VAR:-default}`), so `VAR=` in a compose file falls back.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv = process.env): Expansion {
  const out: string[] = [];
  const missing: string[] = [];
  const malformed: string[] = [];
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf("${", i);
    if (at < 0) break;
    if (at > i && text[at - 1] === "$") {
      // `$${` is the escape: keep one `$` off the output and the `${` literally.
      out.push(text.slice(i, at - 1), "${");
      i = at + 2;
      continue;
    }
    out.push(text.slice(i, at));
    const close = text.indexOf("}", at + 2);
    if (close < 0) {
      malformed.push("unterminated ${ (write $${ for a literal ${)");
      out.push(text.slice(at));
      i = text.length;
      break;
    }
    const ref = REF_RE.exec(text.slice(at + 2, close));
    if (ref === null) {
      malformed.push("invalid ${...} reference: expected ${NAME} or ${NAME:default} (write $${ for a literal ${)");
    } else {
      const [, name = "", fallback] = ref;
      const set = env[name];
      if (set !== undefined && (set !== "" || fallback === undefined)) out.push(set);
      else if (fallback !== undefined) out.push(fallback);
      else if (!missing.includes(name)) missing.push(name);
    }
    i = close + 1;
  }
  out.push(text.slice(i));
  return { value: out.join(""), missing, malformed };
}
