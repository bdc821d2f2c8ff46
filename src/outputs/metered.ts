import type { Output, OutputEvent, OutputObserver } from "./output.ts";

/**
 * Wraps any output to time its publishes and count its failures. For outputs without connections
 * of their own (file, console) the last publish's result is their state: writable or not, and why.
 */
export class MeteredOutput implements Output {
  readonly name: string;
  readonly #inner: Output;
  readonly #observer: OutputObserver;

  constructor(inner: Output, observer: OutputObserver) {
    this.#inner = inner;
    this.#observer = observer;
    this.name = inner.name;
    if (!inner.reportsConnections) observer.connection(inner.name, true);
  }

  async publish(events: readonly OutputEvent[]): Promise<void> {
    const started = performance.now();
    try {
      await this.#inner.publish(events);
    } catch (err) {
      this.#observer.writeError();
      if (!this.#inner.reportsConnections) this.#observer.connection(this.name, false, `output ${this.name}: ${(err as Error)?.message ?? String(err)}`);
      throw err;
    }
    this.#observer.publishDuration((performance.now() - started) / 1000);
    if (!this.#inner.reportsConnections) this.#observer.connection(this.name, true);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async destroy(reason: string): Promise<void> {
    await this.#inner.destroy?.(reason);
  }
}
