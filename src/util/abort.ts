/**
 * Waits that shutdown can cut short. An output acknowledgement or a stalled S3 body may never
 * come; after the grace period the daemon must stop waiting and release the message all the same.
 */

/** `promise`, or a rejection with `signal.reason` as soon as `signal` aborts (the promise is left to settle unobserved). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** Iterates `source` until `signal` aborts, even while a `next()` never returns; the source is then closed. */
export async function* abortableIterable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = await untilAborted(it.next(), signal);
      if (r.done) return;
      yield r.value;
    }
  } finally {
    // A stalled HTTP body ignores return() while a read is pending: destroy it if it can be.
    (source as { destroy?: (e?: Error) => void }).destroy?.();
    void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/**
 * Waits `ms`, or less when `signal` aborts (shutdown); never rejects. Hand-written rather than
 * node:timers/promises because vitest's fake timers drive the global setTimeout only: the backoffs
 * built on it are tested in milliseconds.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
