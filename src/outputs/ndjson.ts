import type { OutputEvent } from "./output.ts";

// Strings past ~128 KB go to V8's large-object space, which only a full GC reclaims; joining a whole
// batch into one string made every batch old-generation garbage (a sawtooth of +100 MB RSS in the
// bench). Pieces stay well below that, and the bytes live in Buffers, freed as soon as they die.
const PIECE_CHARS = 16 * 1024;

/** A batch as NDJSON bytes: one JSON document per event, each followed by a newline. */
export function encodeNdjson(events: readonly OutputEvent[], pretty = false): Buffer {
  const pieces: Buffer[] = [];
  let piece = "";
  for (const e of events) {
    piece += (pretty ? JSON.stringify(e, null, 2) : JSON.stringify(e)) + "\n";
    if (piece.length >= PIECE_CHARS) {
      pieces.push(Buffer.from(piece, "utf8"));
      piece = "";
    }
  }
  if (piece.length > 0) pieces.push(Buffer.from(piece, "utf8"));
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}
