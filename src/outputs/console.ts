import type { ConsoleOutputSettings } from "../config/settings.ts";
import { encodeNdjson } from "./ndjson.ts";
import type { Output, OutputEvent } from "./output.ts";

/**
 * Writes events to a stream (stdout by default), one JSON document per event, each followed by a
 * newline. A batch is one `write` call, and its publish resolves when the stream's write callback
 * fires, i.e. when the bytes were handed to the OS. Batches are written in call order.
 */
export class ConsoleOutput implements Output {
  readonly name = "console";
  readonly #pretty: boolean;
  readonly #stream: NodeJS.WritableStream;
  /** Settles (never rejects) once every write issued so far has called back. */
  #tail: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  // Without a listener an 'error' event (EPIPE on stdout) would crash the process; the failure is
  // reported through the rejected publish instead, and remembered since the stream is now dead.
  readonly #onError = (err: Error): void => {
    this.#failure ??= err;
  };

  constructor(settings: ConsoleOutputSettings, stream: NodeJS.WritableStream = process.stdout) {
    this.#pretty = settings.pretty;
    this.#stream = stream;
    stream.on("error", this.#onError);
  }

  publish(events: readonly OutputEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("console output failed: output is closed"));
    if (this.#failure !== undefined) return Promise.reject(consoleError(this.#failure));
    // Nothing to write, but still acknowledge after the batches published before it.
    if (events.length === 0) return this.#tail;

    const data = encodeNdjson(events, this.#pretty);
    const done = new Promise<void>((resolve, reject) => {
      this.#stream.write(data, (err?: Error | null) => {
        if (err) {
          this.#failure ??= err;
          reject(consoleError(err));
        } else {
          resolve();
        }
      });
    });
    this.#tail = done.catch(() => undefined);
    return done;
  }

  /** Waits for pending writes; the stream itself is left open (it is usually stdout). */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#tail.then(() => {
      this.#stream.removeListener("error", this.#onError);
    });
    return this.#closing;
  }
}

function consoleError(cause: Error): Error {
  return new Error(`console output failed: ${cause.message}`, { cause });
}
