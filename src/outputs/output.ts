import type { HeartbeatEvent } from "../heartbeat/heartbeat.ts";
import type { BeatEvent } from "../pipeline/event.ts";

/**
 * What outputs ship: log events, and the beat's own heartbeats. A string is an event already
 * serialized: its JSON document, shipped as it is (how the pipeline hands over most events).
 */
export type OutputEvent = BeatEvent | HeartbeatEvent | string;

/** True for a log event, false for a heartbeat. */
export function isLogEvent(event: OutputEvent): boolean {
  return typeof event === "string" || "message" in event;
}

/** The event's JSON document. */
export function jsonOf(event: OutputEvent): string {
  return typeof event === "string" ? event : JSON.stringify(event);
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
