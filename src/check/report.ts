/**
 * One line of `s3beat check`. The type makes the promises of the report: a FAILED line always
 * carries a fix, a skipped line always says why.
 */
export type StepResult =
  /** `detail`: what was found, e.g. the queue's depth. */
  | { status: "ok"; step: string; detail: string }
  /** `cause`: what went wrong; `fix`: what to change (never empty). */
  | { status: "FAILED"; step: string; cause: string; fix: string }
  /** `reason`: why the step was not run, e.g. "because the role could not be assumed". */
  | { status: "skipped"; step: string; reason: string };

const FIX = " Fix: ";

/** Splits an explained message ("… cause. Fix: what to do.") into its cause and its fix. */
export function splitFix(message: string): { cause: string; fix?: string } {
  const i = message.indexOf(FIX);
  if (i < 0) return { cause: message };
  const fix = message.slice(i + FIX.length).trim();
  return fix ? { cause: message.slice(0, i), fix } : { cause: message.slice(0, i) };
}

export function formatStep(r: StepResult): string {
  const head = `${r.status.padEnd(7)} ${r.step}`;
  switch (r.status) {
    case "ok":
      return r.detail ? `${head} — ${r.detail}` : head;
    case "FAILED":
      return `${head} — ${r.cause}${FIX}${r.fix}`;
    case "skipped":
      return `${head} — ${r.reason}`;
  }
}

/** The closing line: how many steps failed or were skipped, and where to look. */
export function summaryLine(counts: { failed: number; skipped: number }): string {
  const skipped = counts.skipped ? `; ${counts.skipped} skipped (the reason is on each skipped line)` : "";
  if (counts.failed === 0) return `all checks passed${skipped}`;
  return `${counts.failed} check${counts.failed > 1 ? "s" : ""} FAILED: see the fix on each FAILED line${skipped}`;
}
