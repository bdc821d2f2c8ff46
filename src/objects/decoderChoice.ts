import type { DecoderSettings, FileSelector } from "../config/settings.ts";
import type { Decoder } from "./decoders/decoder.ts";
import { createDecoder } from "./decoders/index.ts";

/** The decoder settings for a key: the first file selector whose regex matches, else the defaults. */
export function decoderSettingsFor(key: string, selectors: readonly FileSelector[], defaults: DecoderSettings): DecoderSettings {
  return selectors.find((s) => s.keyRegex.test(key)) ?? defaults;
}

/** Builds each decoder once and picks one per object key. */
export function decoderChooser(selectors: readonly FileSelector[], defaults: DecoderSettings): (key: string) => Decoder {
  const built = new Map<DecoderSettings, Decoder>();
  return (key) => {
    const settings = decoderSettingsFor(key, selectors, defaults);
    let decoder = built.get(settings);
    if (!decoder) built.set(settings, (decoder = createDecoder(settings)));
    return decoder;
  };
}
