import type { SettleCalls } from "./sqsQueue.ts";

/**
 * Groups deletes into DeleteMessageBatch calls of up to 10 (SQS's limit), sent as soon as 10 are
 * waiting or after a short linger, so a busy queue costs one call per 10 messages.
 */
export class DeleteBatcher {
  readonly #calls: Pick<SettleCalls, "deleteBatch">;
  readonly #lingerMs: number;
  #pending: { id: string; receiptHandle: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;

  constructor(calls: Pick<SettleCalls, "deleteBatch">, lingerMs = 20) {
    this.#calls = calls;
    this.#lingerMs = lingerMs;
  }

  /** Resolves once SQS confirmed the delete; rejects with SQS's reason otherwise. */
  delete(receiptHandle: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ id: `m${this.#seq++}`, receiptHandle, resolve, reject });
      if (this.#pending.length >= 10) this.#send();
      else this.#timer ??= setTimeout(() => this.#send(), this.#lingerMs);
    });
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const chunk = this.#pending.splice(0, 10);
      this.#calls.deleteBatch(chunk.map(({ id, receiptHandle }) => ({ id, receiptHandle }))).then(
        ({ failed }) => {
          const byId = new Map(failed.map((f) => [f.id, f.message]));
          for (const e of chunk) {
            const why = byId.get(e.id);
            if (why === undefined) e.resolve();
            else e.reject(new Error(`DeleteMessageBatch entry failed: ${why}`));
          }
        },
        (err: unknown) => {
          for (const e of chunk) e.reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    }
  }
}
