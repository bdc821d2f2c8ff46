import type { DecoderSettings } from "../../config/settings.ts";
import type { Decoder } from "./decoder.ts";
import { jsonDecoder } from "./json.ts";
import { linesDecoder } from "./lines.ts";
import { multiline } from "./multiline.ts";
import { ndjsonDecoder } from "./ndjson.ts";

/**
 * The decoder the settings ask for: `lines` (joined by `multiline` when configured), `ndjson`,
 * or `json` (expanding `expandEventListFromField` when set).
 */
export function createDecoder(settings: DecoderSettings): Decoder {
  const { maxEventBytes } = settings;
  switch (settings.decoder) {
    case "lines": {
      const lines = linesDecoder({ maxEventBytes });
      const ml = settings.multiline;
      if (ml === undefined) return lines;
      return (input) => multiline(lines(input), { ...ml, maxEventBytes });
    }
    case "ndjson":
      return ndjsonDecoder({ maxEventBytes });
    case "json":
      return jsonDecoder({ maxEventBytes, expandEventListFromField: settings.expandEventListFromField });
    default: {
      const unknown: never = settings.decoder;
      throw new Error(`unknown decoder "${String(unknown)}"`);
    }
  }
}
