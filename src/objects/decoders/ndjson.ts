import type { Decoder } from "./decoder.ts";
import type { DecodedRecord } from "../../events/record.ts";
import { splitLines } from "./lines.ts";

/** JSON whitespace only: such lines separate documents, they are not events. */
const BLANK = /^[ \t\r\n]*$/;
/** V8's parse messages quote the input; keep the reason short whatever the line holds. */
const MAX_REASON_CHARS = 120;

/**
 * Decoder for newline-delimited JSON: one record per line, like `linesDecoder`, with whitespace-only
 * lines skipped. Each line is checked with `JSON.parse`; a line that is not JSON is still emitted,
 * with `error: "line is not valid JSON: <reason>"`. Truncated lines are not checked (a cut
 * document could never parse; the truncated flag already says why).
 */
export function ndjsonDecoder(opts: { maxEventBytes: number }): Decoder {
  const accept = (line: DecodedRecord): boolean => {
    if (line.truncated) return true;
    if (BLANK.test(line.text)) return false;
    try {
      JSON.parse(line.text);
    } catch (err) {
      line.error = `line is not valid JSON: ${shortReason(err)}`;
    }
    return true;
  };
  return (input) => splitLines(input, opts.maxEventBytes, accept);
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.length > MAX_REASON_CHARS ? `${msg.slice(0, MAX_REASON_CHARS)}…` : msg;
}
