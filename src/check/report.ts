/** One line of `s3beat check`. */
export interface StepResult {
  status: "ok" | "FAILED" | "skipped";
  /** What was checked, e.g. `sqs:GetQueueAttributes prod-events`. */
  step: string;
  /** Details when ok; the cause and the fix when FAILED; why when skipped. */
  detail: string;
}

export function formatStep(r: StepResult): string {
  return `${r.status.padEnd(7)} ${r.step}${r.detail ? ` — ${r.detail}` : ""}`;
}
