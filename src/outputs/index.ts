import type { Logger } from "pino";
import type { OutputSettings } from "../config/settings.ts";
import { silentLogger } from "../logging/logger.ts";
import { ConsoleOutput } from "./console.ts";
import { FileOutput } from "./file.ts";
import { LumberjackOutput } from "./lumberjack/output.ts";
import { MeteredOutput } from "./metered.ts";
import type { Output, OutputObserver } from "./output.ts";
import { definedOnly } from "../util/optional.ts";

export type { Output } from "./output.ts";
export { ConsoleOutput } from "./console.ts";
export { FileOutput } from "./file.ts";
export { LumberjackOutput } from "./lumberjack/output.ts";
export { MeteredOutput } from "./metered.ts";

/**
 * Builds the output the settings name. Each kind of `OutputSettings` gets one case here. `log`
 * receives the output's own messages (connection failures, …); without it they are dropped.
 */
export function createOutput(settings: OutputSettings, log?: Logger, observer?: OutputObserver): Output {
  const output = createBare(settings, log, observer);
  return observer ? new MeteredOutput(output, observer) : output;
}

function createBare(settings: OutputSettings, log?: Logger, observer?: OutputObserver): Output {
  switch (settings.kind) {
    case "console":
      return new ConsoleOutput(settings);
    case "file":
      return new FileOutput(settings, definedOnly({ log, observer }));
    case "logstash":
      return new LumberjackOutput(settings, log ?? silentLogger(), observer);
    default: {
      // A compile error here means a new kind was added to OutputSettings without a case.
      const unknown: never = settings;
      throw new Error(`unknown output kind: ${(unknown as { kind: string }).kind}`);
    }
  }
}
