import type { OutputSettings } from "../config/settings.ts";
import { ConsoleOutput } from "./console.ts";
import { FileOutput } from "./file.ts";
import type { Output } from "./output.ts";

export type { Output } from "./output.ts";
export { ConsoleOutput } from "./console.ts";
export { FileOutput } from "./file.ts";

/** Builds the output the settings name. Each kind of `OutputSettings` gets one case here. */
export function createOutput(settings: OutputSettings): Output {
  switch (settings.kind) {
    case "console":
      return new ConsoleOutput(settings);
    case "file":
      return new FileOutput(settings);
    case "logstash":
      // The config loader refuses output.logstash until the lumberjack output lands.
      throw new Error("output.logstash is not available in this version of s3beat");
    default: {
      // A compile error here means a new kind was added to OutputSettings without a case.
      const unknown: never = settings;
      throw new Error(`unknown output kind: ${(unknown as { kind: string }).kind}`);
    }
  }
}
