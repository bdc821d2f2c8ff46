// vitest.faults.config.ts's global setup: a fresh results file, and the table printed at the end.
import { rmSync } from "node:fs";
import { formatTable, readRows } from "../support/tally.ts";

export default function setup(): () => void {
  const file = process.env.S3BEAT_FAULTS_RESULTS;
  if (file) rmSync(file, { force: true });
  return () => {
    if (!file) return;
    const rows = readRows(file);
    rmSync(file, { force: true });
    if (rows.length === 0) return;
    const lost = rows.reduce((n, r) => n + r.lost, 0);
    process.stdout.write(`\n${formatTable(rows)}\n${lost === 0 ? "no event lost" : `${lost} EVENTS LOST`} in ${rows.length} scenarios\n`);
  };
}
