import type { HeartbeatEvent } from "../events/heartbeat.ts";
import type { BeatEvent } from "../events/event.ts";

/**
 * Log events already serialized, as the pipeline hands most of them over: `count` NDJSON lines
 * (each event's JSON document and a newline) in `bytes`. Serializing as events are read, in pieces
 * of a few KiB, lets each event's strings die young; a batch of event objects or strings held
 * until the batch is full outlived V8's young-generation collections (bench A: a quarter of the
 * CPU in GC). A JSON document never holds a raw newline, so the lines are the documents.
 */
export class EncodedEvents {
  readonly bytes: Buffer;
  readonly count: number;

  constructor(bytes: Buffer, count: number) {
    this.bytes = bytes;
    this.count = count;
  }

  /** Calls `visit` with each event's document as `bytes[start, end)` (no newline), in order. */
  eachDocument(visit: (start: number, end: number) => void): void {
    let start = 0;
    for (let end = this.bytes.indexOf(0x0a); end !== -1; end = this.bytes.indexOf(0x0a, start)) {
      visit(start, end);
      start = end + 1;
    }
  }

  /** Each event's document as a view of `bytes` (no newline). */
  documents(): Buffer[] {
    const out: Buffer[] = [];
    this.eachDocument((start, end) => out.push(this.bytes.subarray(start, end)));
    return out;
  }
}

/** What outputs ship: log events (as objects, or already serialized), and the beat's own heartbeats. */
export type OutputEvent = BeatEvent | HeartbeatEvent | EncodedEvents;

/** Log events in `events` (heartbeats not counted). */
export function logEventCount(events: readonly OutputEvent[]): number {
  let n = 0;
  for (const e of events) n += e instanceof EncodedEvents ? e.count : "message" in e ? 1 : 0;
  return n;
}

/** Each event's JSON document, in order: what the outputs ship. */
export function documentsOf(events: readonly OutputEvent[]): string[] {
  return events.flatMap((e) => (e instanceof EncodedEvents ? e.documents().map((d) => d.toString("utf8")) : [JSON.stringify(e)]));
}

/**
 * An output ships batches of events. `publish` resolves only once every event of the batch is
 * acknowledged (written and flushed for file/console, ACKed by the server for lumberjack), and
 * rejects if the batch could not be delivered. The pipeline deletes an SQS message only after all
 * publishes for its objects resolved, so an output must never resolve early.
 *
 * Outputs may acknowledge asynchronously and keep several batches in flight; callers bound how
 * many they have outstanding, which is how backpressure reaches the SQS receive loop.
 */
export interface Output {
  readonly name: string;
  /** True when the output reports its own connections to an OutputObserver (lumberjack, per host). */
  readonly reportsConnections?: boolean;
  publish(events: readonly OutputEvent[]): Promise<void>;
  /** Flush anything buffered and release resources; publishes after close reject. */
  close(): Promise<void>;
  /**
   * Stop now, without waiting for acknowledgements (shutdown when `close` took too long): pending
   * publishes reject. Outputs that cannot hang on close need not have it.
   */
  destroy?(reason: string): Promise<void>;
}

/** Told how an output's connections fare: the metrics and /readyz read it. */
export interface OutputObserver {
  /** `host` (a collector's host:port, or the output's own name) can take events, or cannot and why. */
  connection(host: string, up: boolean, reason?: string): void;
  /** A connection was opened again after a failure or a close. */
  reconnect(host: string): void;
  /** The window (events per batch sent) now in use towards `host`. */
  windowSize(host: string, events: number): void;
  /** A publish took this long to be acknowledged. */
  publishDuration(seconds: number): void;
  /** A publish failed. */
  writeError(): void;
}
