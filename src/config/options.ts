/**
 * The options of s3beat.yml read back from the zod schema: each one's path, default, range, values
 * and docs (OptionMeta). Everything that writes about a setting (the README's reference, the example
 * file, the setup's questions and comments, migration 001) reads it here instead of repeating it.
 */
import { stringify } from "yaml";
import type { z } from "zod";
import { optionMeta, type OptionMeta } from "./fields.ts";
import { LEGACY_NAMES } from "./legacyNames.ts";
import { configSchema } from "./schema.ts";
import { formatByteSize, formatDuration } from "./units.ts";

export interface OptionInfo {
  /** Dotted key path, `s3beat.sessionDuration`. */
  path: string;
  /** What zod fills in when the key is absent (seconds and bytes for durations and sizes). */
  default?: unknown;
  /** Absent means an error (or, with `meta.required`, once its section is there). */
  required: boolean;
  /** The allowed values of an enum. */
  values?: readonly string[];
  /** LogRhythm's older name of the key, still read. */
  legacyName?: string;
  meta: OptionMeta;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  defaultValue?: unknown;
};
const defOf = (s: z.ZodType): Def => s._zod.def as unknown as Def;

/** `s` and the schemas it wraps (defaults, optionals, preprocess and transform pipes), outermost first. */
function layers(s: z.ZodType): z.ZodType[] {
  const d = defOf(s);
  const inner = d.innerType ? [d.innerType] : d.type === "pipe" ? [d.in!, d.out!] : [];
  return [s, ...inner.flatMap(layers)];
}

function describe(path: string, s: z.ZodType): OptionInfo {
  const all = layers(s);
  const defs = all.map(defOf);
  const withDefault = defs.find((d) => d.type === "default");
  const enumDef = defs.find((d) => d.type === "enum");
  // Outer layers win: an option's docs over its builder's range.
  const meta = Object.assign({}, ...all.map((l) => optionMeta.get(l)).reverse()) as OptionMeta;
  const key = path.split(".").at(-1)!;
  const legacy = path.startsWith("s3beat.") ? LEGACY_NAMES.find(([, name]) => name === key) : undefined;
  return {
    path,
    ...(withDefault && { default: withDefault.defaultValue }),
    required: !defs.some((d) => d.type === "default" || d.type === "optional" || d.type === "prefault"),
    ...(enumDef && { values: Object.values(enumDef.entries!) }),
    ...(legacy && { legacyName: legacy[0] }),
    meta,
  };
}

/** The mapping a section schema holds, if `s` is a section (a list of mappings is one option). */
function sectionShape(s: z.ZodType): Record<string, z.ZodType> | undefined {
  return layers(s)
    .map(defOf)
    .find((d) => d.type === "object")?.shape;
}

function walk(prefix: string, shape: Record<string, z.ZodType>): OptionInfo[] {
  return Object.entries(shape).flatMap(([key, s]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const inner = sectionShape(s);
    return inner ? walk(path, inner) : [describe(path, s)];
  });
}

/** Every option, in the schema's order. */
export const OPTIONS: readonly OptionInfo[] = walk("", configSchema.shape);

/** The option at `path`; throws for a path the schema does not have. */
export function option(path: string): OptionInfo {
  const found = OPTIONS.find((o) => o.path === path);
  if (found === undefined) throw new Error(`no option ${path} in the schema`);
  return found;
}

/** A value in the option's unit, as the file writes it (`1h`, `10MiB`). */
export function formatValue(o: OptionInfo, v: number): string {
  if (o.meta.unit === "duration") return formatDuration(v);
  if (o.meta.unit === "size") return formatByteSize(v);
  return String(v);
}

/** `15m..12h` (sep `..`) or `15m–12h`; an enum's values joined by ` | `; undefined without either. */
export function rangeText(o: OptionInfo, sep = ".."): string | undefined {
  if (o.values) return o.values.join(" | ");
  if (o.meta.min === undefined || o.meta.max === undefined) return undefined;
  return `${formatValue(o, o.meta.min)}${sep}${formatValue(o, o.meta.max)}`;
}

/** The default as YAML text (`1h`, `false`, `[]`, `""` when there is none). */
export function yamlDefault(o: OptionInfo): string {
  if (o.meta.yaml !== undefined) return o.meta.yaml;
  const v = o.default;
  if (typeof v === "number") return formatValue(o, v);
  return stringify(v ?? "", { collectionStyle: "flow" }).trimEnd();
}

/** The one-line YAML comment of the option: its brief with the range. */
export function yamlComment(o: OptionInfo): string {
  const brief = o.meta.brief ?? "";
  const range = rangeText(o);
  if (range === undefined) return brief.replace("{range}", "").trim();
  if (brief.includes("{range}")) return brief.replace("{range}", range);
  return brief === "" ? range : `${range}: ${brief}`;
}
