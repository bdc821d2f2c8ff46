/**
 * Field builders of the zod schema. Booleans and integers also accept their text form, because
 * `${VAR}` expansion always yields a string (`awsFlag: ${IN_AWS:false}`).
 */
import { z } from "zod";
import { formatByteSize, formatDuration, parseByteSize, parseDurationSeconds } from "./units.ts";

/**
 * What the docs say about an option, declared once beside its schema: the README's configuration
 * reference, config/s3beat.example.yml, the setup's comments and migration 001 are generated from it
 * (options.ts reads it back). Unit and range come from the field builders, the default from zod.
 */
export interface OptionMeta {
  /** Set by the field builders: how the value is written and its range. */
  unit?: "duration" | "size" | "number";
  min?: number;
  max?: number;
  /** The README's meaning, without the range, the values of an enum or the older name: those are generated. */
  doc?: string;
  /** The one-line YAML comment; `{range}` places the range (`15m..12h`, `lines | ndjson | json`), else it comes first. */
  brief?: string;
  /** The README's default column, where the default value alone does not say it (`system CAs`). */
  defaultText?: string;
  /** The default as YAML text, where formatting the default value does not give it (a file mode). */
  yaml?: string;
  /** The value the example file writes instead of the default (YAML text). */
  example?: string;
  /** Required once its section is there, though the schema leaves that to a cross-field rule. */
  required?: boolean;
}

export const optionMeta = z.registry<OptionMeta>();

/** `schema` with its docs. A copy: shared field schemas (`optionalText`) carry no option's docs. */
export function doc<T extends z.ZodType>(schema: T, meta: OptionMeta): T {
  const copy = schema.clone();
  optionMeta.add(copy, meta);
  return copy;
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs `fn` inside a zod transform, turning a thrown Error into an issue with its message. */
export function via<I, O>(fn: (v: I) => O) {
  return (v: I, ctx: z.RefinementCtx<I>): O => {
    try {
      return fn(v);
    } catch (e) {
      ctx.issues.push({ code: "custom", message: errorText(e), input: v });
      return z.NEVER;
    }
  };
}

export const textToBool = (v: unknown): unknown => (typeof v === "string" && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === "true" : v);
export const textToInt = (v: unknown): unknown => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v);

export const flag = () => z.preprocess(textToBool, z.boolean({ error: "expected true or false" }));

export function int(min: number, max: number) {
  const range = `must be between ${min} and ${max}`;
  return z
    .preprocess(textToInt, z.int({ error: "expected a whole number" }).min(min, range).max(max, range))
    .register(optionMeta, { unit: "number", min, max });
}

export function duration(min: number, max: number) {
  const check = (s: number): number => {
    if (s < min || s > max) {
      throw new Error(`must be between ${formatDuration(min)} and ${formatDuration(max)}, got ${formatDuration(s)}`);
    }
    return s;
  };
  return z
    .union([z.string(), z.number()], { error: "expected a duration like 30s, 5m, 1h30m or a number of seconds" })
    .transform(via((v: string | number) => check(parseDurationSeconds(v))))
    .register(optionMeta, { unit: "duration", min, max });
}

export function byteSize(min: number, max: number) {
  const check = (b: number): number => {
    if (b < min || b > max) throw new Error(`must be between ${formatByteSize(min)} and ${formatByteSize(max)}`);
    return b;
  };
  return z
    .union([z.string(), z.number()], { error: "expected a size like 512, 64KiB, 10MiB or 1GiB" })
    .transform(via((v: string | number) => check(parseByteSize(v))))
    .register(optionMeta, { unit: "size", min, max });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` });
}

/** A string where `""` (or no key) means "not set". */
export const optionalText = z
  .string({ error: "expected a string" })
  .optional()
  .transform((s) => (s === "" ? undefined : s));

export function compileRegex(source: string | undefined): RegExp | undefined {
  if (source === undefined || source === "") return undefined;
  try {
    return new RegExp(source);
  } catch (e) {
    throw new Error(`invalid regular expression: ${errorText(e).replace(/^Invalid regular expression: /, "")}`);
  }
}
export const regex = z.string({ error: "expected a regular expression (as a string)" }).optional().transform(via(compileRegex));

function checkEndpoint(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new Error(`expected an http:// or https:// URL, got "${url}"`);
  }
  return url;
}
export const endpoint = optionalText.transform(via(checkEndpoint));

/** Messages for a mapping-valued key: required sections say what to add, others what was wrong. */
export const section = (missing?: string) => (iss: { code: string; input?: unknown }) =>
  iss.code !== "invalid_type" ? undefined : iss.input === undefined ? missing : "expected a mapping of keys";

export const secret = z.string({ error: "expected a string (quote the value, or better use ${ENV_VAR})" }).optional();

/** A regex in a file selector, where `""` must stay distinguishable from "not set": null = explicitly off. */
export const regexOrOff = z
  .string({ error: "expected a regular expression (as a string)" })
  .optional()
  .transform(via((s: string | undefined) => (s === "" ? null : compileRegex(s))));

/** A list that may be written as a lone string. */
export const stringList = (error: string) =>
  z.preprocess((v) => (typeof v === "string" ? (v === "" ? [] : [v]) : v), z.array(z.string({ error }).min(1, "must not be empty"), { error }));

/** The value a field schema gives `input`, or undefined when that field is itself invalid. */
export function peek<T>(schema: z.ZodType<T>, input: unknown): T | undefined {
  const r = schema.safeParse(input);
  return r.success ? r.data : undefined;
}
