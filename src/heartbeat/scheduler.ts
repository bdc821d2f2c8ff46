import type { Logger } from "pino";
import type { Output } from "../outputs/output.ts";
import { describeCause, errorFields } from "../aws/sdkErrors.ts";
import { buildHeartbeat, type HeartbeatStatus } from "../events/heartbeat.ts";

/**
 * Sends status 1 at start, status 2 every interval, and status 3 at shutdown, through the same
 * output as the events. A heartbeat not yet acknowledged is not joined by another one, so a
 * collector that is down does not collect a backlog of them.
 */
export class HeartbeatScheduler {
  readonly #output: Output;
  readonly #log: Logger;
  readonly #beat: { version: string; identifier: string };
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<void> | undefined;

  /** `opts.identifier`: the fully qualified beat name (Settings.s3beat.beatIdentifier). */
  constructor(output: Output, opts: { version: string; identifier: string; intervalSeconds: number; log: Logger }) {
    this.#output = output;
    this.#log = opts.log;
    this.#beat = { version: opts.version, identifier: opts.identifier };
    this.#intervalMs = opts.intervalSeconds * 1000;
  }

  start(): void {
    this.#send("started");
    this.#timer = setInterval(() => this.#send("running"), this.#intervalMs);
    this.#timer.unref();
  }

  /** Sends the final heartbeat (status 3) and waits for its acknowledgement, at most `waitMs`. */
  async stop(waitMs: number): Promise<void> {
    clearInterval(this.#timer);
    const last = this.#output.publish([buildHeartbeat("stopped", this.#beat)]).then(
      () => undefined,
      (err: unknown) => this.#log.warn(errorFields(err), `final heartbeat not delivered: ${describeCause(err)}`),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([last, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  #send(status: HeartbeatStatus): void {
    if (this.#pending) return;
    this.#pending = this.#output
      .publish([buildHeartbeat(status, this.#beat)])
      .then(
        () => this.#log.debug({ status }, "heartbeat delivered"),
        (err: unknown) => this.#log.warn(errorFields(err), `heartbeat not delivered: ${describeCause(err)}`),
      )
      .finally(() => (this.#pending = undefined));
  }
}
