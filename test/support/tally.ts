/**
 * The exact tally of a fault scenario (every expected event's message text is unique) and the
 * results table of the fault suite.
 *
 * Rows go to the file named by $S3BEAT_FAULTS_RESULTS when set (vitest.faults.config.ts sets it and
 * its global teardown prints the whole table at the end of the run); otherwise (the CI subset
 * inside `npm test`) each test file prints its own rows after its tests.
 */
import { appendFileSync, readFileSync } from "node:fs";

export interface Tally {
  /** Events the scenario's objects hold. */
  expected: number;
  /** Expected events that arrived at least once. */
  delivered: number;
  /** Arrivals beyond the first of an expected event. */
  duplicates: number;
  /** Expected events that never arrived. */
  lost: number;
  /** Arrivals that were not expected (from poison objects, or a bug). */
  unexpected: number;
  /** Up to 5 lost messages, to say which. */
  lostSample: string[];
}

/** Counts `received` message texts against the `expected` ones. */
export function tally(expected: Iterable<string>, received: Iterable<string>): Tally {
  const counts = new Map<string, number>();
  for (const m of expected) counts.set(m, 0);
  let unexpected = 0;
  let arrivals = 0;
  for (const m of received) {
    const c = counts.get(m);
    if (c === undefined) unexpected++;
    else {
      counts.set(m, c + 1);
      arrivals++;
    }
  }
  let delivered = 0;
  const lostSample: string[] = [];
  for (const [m, c] of counts) {
    if (c > 0) delivered++;
    else if (lostSample.length < 5) lostSample.push(m.length > 80 ? `${m.slice(0, 80)}…` : m);
  }
  return { expected: counts.size, delivered, duplicates: arrivals - delivered, lost: counts.size - delivered, unexpected, lostSample };
}

export interface FaultRow {
  scenario: string;
  expected: number;
  delivered: number;
  duplicates: number;
  lost: number;
  /** Highest peak RSS of the scenario's daemon processes. */
  peakRssMb: number;
  seconds: number;
  /** Part of the CI subset (test/faults/*.ci.test.ts). */
  ci: boolean;
  note?: string;
}

const ownRows: FaultRow[] = [];

/** Records a scenario's row (before its assertions, so that a failing scenario still shows). */
export function recordRow(row: FaultRow): void {
  ownRows.push(row);
  const file = process.env.S3BEAT_FAULTS_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/** For a test file's afterAll: prints its rows unless the run's global teardown prints them all. */
export function printOwnRows(): void {
  if (process.env.S3BEAT_FAULTS_RESULTS || ownRows.length === 0) return;
  console.log(`\n${formatTable(ownRows)}\n`);
}

export function readRows(file: string): FaultRow[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as FaultRow);
}

export function formatTable(rows: FaultRow[]): string {
  const head = ["scenario", "expected", "delivered", "duplicates", "lost", "peak RSS MB", "seconds"];
  const body = rows.map((r) => [
    `${r.scenario}${r.ci ? " [CI]" : ""}${r.note ? ` (${r.note})` : ""}`,
    String(r.expected),
    String(r.delivered),
    String(r.duplicates),
    String(r.lost),
    r.peakRssMb.toFixed(0),
    r.seconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return ["fault scenarios:", line(head), rule, ...body.map(line)].join("\n");
}
