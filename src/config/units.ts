/**
 * Parsers for the unit-bearing values of s3beat.yml. Both return plain numbers (seconds, bytes) and
 * throw an Error whose message can be shown to the operator as is.
 */

const DURATION_HINT = "expected a duration like 30s, 5m, 1h30m or a number of seconds";
// Units in descending order, each at most once: the forms operators know from Go / libbeat.
const DURATION_RE = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses a duration into whole seconds: a non-negative integer (number or digit string) is seconds;
 * otherwise `h`, `m`, `s` components in that order (`90s`, `5m`, `1h30m`, `1h30m15s`).
 */
export function parseDurationSeconds(v: string | number): number {
  if (typeof v === "number") {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new Error(`${DURATION_HINT} (a number of seconds must be a whole number ≥ 0)`);
  }
  if (typeof v !== "string") throw new Error(DURATION_HINT);
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const m = DURATION_RE.exec(s);
  // The regex also matches "" (every group optional), which is not a duration.
  if (s === "" || m === null) throw new Error(`${DURATION_HINT}, got "${v}"`);
  const [, h = "0", min = "0", sec = "0"] = m;
  return Number(h) * 3600 + Number(min) * 60 + Number(sec);
}

const SIZE_HINT = "expected a size like 512, 64KiB, 10MiB, 1GiB or 10MB";
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * Parses a size into bytes: a non-negative integer is bytes; a number (decimals allowed) followed by a
 * unit, case-insensitive: `B`, `KB`/`MB`/`GB` (powers of 1000) or `KiB`/`MiB`/`GiB` (powers of 1024).
 * Fractional results are rounded down to whole bytes.
 */
export function parseByteSize(v: string | number): number {
  if (typeof v === "number") {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new Error(`${SIZE_HINT} (a number of bytes must be a whole number ≥ 0)`);
  }
  if (typeof v !== "string") throw new Error(SIZE_HINT);
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const factor = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || factor === undefined) throw new Error(`${SIZE_HINT}, got "${v}"`);
  return Math.floor(Number(m[1]) * factor);
}

/** Formats seconds the way the config file writes them (`90` → `1m30s`), for range messages. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}

/** Formats bytes with the largest binary unit that divides them exactly (`10485760` → `10MiB`). */
export function formatByteSize(bytes: number): string {
  for (const [unit, f] of [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return String(bytes);
}
