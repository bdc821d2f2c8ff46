/**
 * Finds the beat's own settings in both of the forms libbeat allows: nested under `s3beat:` and
 * dotted at the top level (`s3beat.roleArn:`). The loader merges the two forms, so a migration has
 * to look at both before deciding a key is missing.
 */
import { isMap, isScalar } from "yaml";
import type { Pair, Scalar, YAMLMap } from "yaml";

/** The beat's section name: the top-level key of its settings. */
export const BEAT = "s3beat";

export interface BeatSetting {
  /** The setting's name inside the section: `roleArn`. */
  name: string;
  /** `nested`: a key of the `s3beat:` mapping; `dotted`: a top-level `s3beat.name:` key. */
  form: "nested" | "dotted";
  pair: Pair<Scalar, unknown>;
  /** The mapping that holds `pair` (the section, or the top level). */
  map: YAMLMap;
}

export interface BeatSettings {
  /** The value of a top-level `s3beat:` key, when it is a mapping. */
  section?: YAMLMap;
  /** Every setting found, nested ones first, each in file order. */
  settings: BeatSetting[];
}

const keyText = (pair: Pair): string | undefined => (isScalar(pair.key) && typeof pair.key.value === "string" ? pair.key.value : undefined);

/** The beat's settings in the top-level mapping `top`. */
export function findBeatSettings(top: YAMLMap): BeatSettings {
  const settings: BeatSetting[] = [];
  let section: YAMLMap | undefined;
  const dotted: BeatSetting[] = [];
  for (const pair of top.items) {
    const key = keyText(pair);
    if (key === BEAT && isMap(pair.value)) {
      section ??= pair.value;
      for (const inner of pair.value.items) {
        const name = keyText(inner);
        if (name !== undefined) settings.push({ name, form: "nested", pair: inner as Pair<Scalar, unknown>, map: pair.value });
      }
    } else if (key?.startsWith(`${BEAT}.`)) {
      // `s3beat.multiline.pattern:` is the setting `multiline` (its sub-key is the section's business).
      const name = key.slice(BEAT.length + 1).split(".")[0]!;
      dotted.push({ name, form: "dotted", pair: pair as Pair<Scalar, unknown>, map: top });
    }
  }
  return { ...(section && { section }), settings: [...settings, ...dotted] };
}

/** The settings named `name`, in either form (more than one means the file sets it twice). */
export function settingsNamed(beat: BeatSettings, name: string): BeatSetting[] {
  return beat.settings.filter((s) => s.name === name);
}
