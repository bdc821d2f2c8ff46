/**
 * Signals that arrived while the CLI was loading (bin/s3beat.js remembers them). `run` acts on them
 * (a graceful stop); every other command gives them their default effect by raising them again.
 */
interface EarlySignals {
  take(): NodeJS.Signals[];
}

/** Stops remembering, and returns what arrived meanwhile (nothing when not started through bin/). */
export function takeEarlySignals(): NodeJS.Signals[] {
  return (globalThis as { s3beatEarlySignals?: EarlySignals }).s3beatEarlySignals?.take() ?? [];
}

/** For commands other than `run`: a signal that came early ends the process as it would have. */
export function reraiseEarlySignals(): void {
  const [first] = takeEarlySignals();
  if (first !== undefined) process.kill(process.pid, first);
}
