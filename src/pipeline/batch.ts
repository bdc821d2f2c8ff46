import { EncodedEvents, type OutputEvent } from "../outputs/output.ts";

/**
 * Pending documents are turned into bytes once they hold this many characters: small enough to
 * stay out of V8's large-object space (strings past ~128 KB), large enough that a piece holds
 * dozens of events.
 */
const PIECE_CHARS = 32 * 1024;

/**
 * A batch being assembled. Documents are serialized into NDJSON bytes a piece at a time as they are
 * added, so their strings die young instead of living until the batch is published.
 */
export class BatchBuilder {
  #events: OutputEvent[] = [];
  #piece = "";
  #pieceCount = 0;
  /** Events added since the last take. */
  count = 0;
  /** Shipped bytes of those events, as the caller counted them. */
  bytes = 0;

  /** Adds an event given as its JSON document. */
  addDocument(doc: string, size: number): void {
    this.#piece += doc + "\n";
    this.#pieceCount++;
    this.count++;
    this.bytes += size;
    if (this.#piece.length >= PIECE_CHARS) this.#cut();
  }

  /** Adds an event the output serializes itself (a large one, which it writes straight into its buffers). */
  addEvent(event: OutputEvent, size: number): void {
    this.#cut();
    this.#events.push(event);
    this.count++;
    this.bytes += size;
  }

  /** The batch's events, in order; the builder is empty again. */
  take(): OutputEvent[] {
    this.#cut();
    const events = this.#events;
    this.#events = [];
    this.count = 0;
    this.bytes = 0;
    return events;
  }

  #cut(): void {
    if (this.#pieceCount === 0) return;
    this.#events.push(new EncodedEvents(Buffer.from(this.#piece, "utf8"), this.#pieceCount));
    this.#piece = "";
    this.#pieceCount = 0;
  }
}
