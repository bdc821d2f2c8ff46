import { EncodedEvents, type OutputEvent } from "./output.ts";

// Strings past ~128 KB go to V8's large-object space, which only a full GC reclaims; joining a whole
// batch into one string made every batch old-generation garbage (a sawtooth of +100 MB RSS in the
// bench). Pieces stay well below that, and the bytes live in Buffers, freed as soon as they die.
const PIECE_CHARS = 16 * 1024;

/**
 * Messages at least this long are written straight into the batch's bytes (see largeDocument); the
 * pipeline hands such events over as objects rather than as their JSON text.
 */
export const LARGE_MESSAGE_CHARS = 64 * 1024;
/** What JSON.stringify would escape in a string (a lone surrogate included). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** Stands for the message while the rest of the event is serialized; found again by its JSON form. */
const PLACEHOLDER = "\u0001s3beat:message\u0001";
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

/**
 * `JSON.stringify(e) + "\n"` as bytes for an event with a large message, without the document as
 * a string: the rest of the event is serialized around a placeholder and the message written into
 * the buffer in its place (escaped first only when it needs escaping). An event of megabytes then
 * costs its buffer, not also a string as large. Undefined for any other event (and in the unlikely
 * case that another field holds the placeholder's text).
 */
function largeDocument(e: Exclude<OutputEvent, EncodedEvents>): Buffer | undefined {
  const message = (e as { message?: unknown }).message;
  if (typeof message !== "string" || message.length < LARGE_MESSAGE_CHARS) return undefined;
  const doc = JSON.stringify({ ...e, message: PLACEHOLDER });
  const at = doc.indexOf(PLACEHOLDER_JSON);
  if (at === -1 || doc.includes(PLACEHOLDER_JSON, at + 1)) return undefined;
  const head = doc.slice(0, at + 1); // up to the message's opening quote
  const tail = doc.slice(at + PLACEHOLDER_JSON.length - 1); // from its closing quote
  const inner = NEEDS_ESCAPE.test(message) ? JSON.stringify(message).slice(1, -1) : message;
  const headBytes = Buffer.byteLength(head, "utf8");
  const innerBytes = Buffer.byteLength(inner, "utf8");
  const tailBytes = Buffer.byteLength(tail, "utf8");
  const buf = Buffer.allocUnsafe(headBytes + innerBytes + tailBytes + 1);
  buf.write(head, 0, headBytes, "utf8");
  buf.write(inner, headBytes, innerBytes, "utf8");
  buf.write(tail, headBytes + innerBytes, tailBytes, "utf8");
  buf[buf.length - 1] = 0x0a;
  return buf;
}

/**
 * A batch as NDJSON bytes, in pieces (write them in order): one JSON document per event, each
 * followed by a newline. Events already serialized are their own pieces, not copied. A large
 * document (an event of megabytes) is encoded on its own, straight into its buffer: appended to a
 * piece it would be copied once more when the piece is flattened.
 */
export function ndjsonPieces(events: readonly OutputEvent[], pretty = false): Buffer[] {
  const pieces: Buffer[] = [];
  let piece = "";
  const cut = () => {
    if (piece.length > 0) pieces.push(Buffer.from(piece, "utf8"));
    piece = "";
  };
  for (const e of events) {
    if (e instanceof EncodedEvents) {
      if (pretty) {
        for (const doc of e.documents()) piece += JSON.stringify(JSON.parse(doc.toString("utf8")), null, 2) + "\n";
        continue;
      }
      cut();
      pieces.push(e.bytes);
      continue;
    }
    const large = pretty ? undefined : largeDocument(e);
    if (large !== undefined) {
      cut();
      pieces.push(large);
      continue;
    }
    const doc = pretty ? JSON.stringify(e, null, 2) : JSON.stringify(e);
    if (doc.length >= PIECE_CHARS) {
      cut();
      const bytes = Buffer.byteLength(doc, "utf8");
      const buf = Buffer.allocUnsafe(bytes + 1);
      buf.write(doc, 0, bytes, "utf8");
      buf[bytes] = 0x0a;
      pieces.push(buf);
      continue;
    }
    piece += doc + "\n";
    if (piece.length >= PIECE_CHARS) cut();
  }
  cut();
  return pieces;
}

/** The batch's NDJSON bytes as one buffer (see ndjsonPieces). */
export function encodeNdjson(events: readonly OutputEvent[], pretty = false): Buffer {
  const pieces = ndjsonPieces(events, pretty);
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}
