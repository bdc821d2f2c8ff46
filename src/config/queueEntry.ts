/**
 * `sqsQueues` entries, `name:region` or a queue URL: the one parser behind validation, the daemon and
 * `s3beat check` (parseQueueEntry), and the setup's choice of the file's region (queueRegion).
 */
import { REGION_RE } from "./checks.ts";

// SQS: up to 80 characters, the ".fifo" suffix of a FIFO queue included.
const QUEUE_NAME_RE = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;
export const QUEUE_HINT = `expected "name:region" (e.g. "my-queue:us-east-1") or a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)`;

const AWS_QUEUE_HOST = /^(?:sqs|queue)\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const LEGACY_QUEUE_HOST = /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/;

/** A configured `sqsQueues` entry: either a queue name with its region, or a full queue URL. */
export type QueueRef = { kind: "name"; name: string; region: string; entry: string } | { kind: "url"; url: string; region: string; entry: string };

type Parts = { kind: "url"; url: string; region?: string; path?: string[] } | { kind: "name"; name: string; region?: string };

/**
 * The pieces of an entry as written, before any check. Only an AWS host (sqs.<region>.amazonaws.com)
 * names a URL's region: a custom endpoint or emulator host says nothing about it.
 */
function split(entry: string): Parts {
  if (/^https?:\/\//i.test(entry)) {
    if (!URL.canParse(entry)) return { kind: "url", url: entry };
    const { hostname, pathname } = new URL(entry);
    const region = AWS_QUEUE_HOST.exec(hostname)?.[1] ?? LEGACY_QUEUE_HOST.exec(hostname)?.[1];
    return { kind: "url", url: entry, region, path: pathname.split("/").filter(Boolean) };
  }
  const colon = entry.lastIndexOf(":");
  if (colon < 0) return { kind: "name", name: entry };
  return { kind: "name", name: entry.slice(0, colon), region: entry.slice(colon + 1) };
}

/** The entry if it is valid; else throws with what is wrong. */
export function checkQueue(entry: string): string {
  const parts = split(entry);
  if (parts.kind === "url") {
    if (parts.path?.length !== 2) throw new Error(`${QUEUE_HINT}; this URL has no /ACCOUNT/NAME path`);
    return entry;
  }
  if (parts.region === undefined) throw new Error(`${QUEUE_HINT}, got "${entry}"`);
  if (!QUEUE_NAME_RE.test(parts.name)) {
    throw new Error(`queue name "${parts.name}" is not valid: up to 80 letters, digits, - and _ (FIFO names end in .fifo)`);
  }
  if (!REGION_RE.test(parts.region)) throw new Error(`"${parts.region}" is not an AWS region like us-east-1`);
  return entry;
}

/** A (validated) entry with its region; `defaultRegion` applies when the entry names none. */
export function parseQueueEntry(entry: string, defaultRegion: string): QueueRef {
  const trimmed = entry.trim();
  const parts = split(trimmed);
  if (parts.kind === "url") return { kind: "url", url: trimmed, region: parts.region ?? defaultRegion, entry };
  if (parts.name === "") return { kind: "name", name: trimmed, region: defaultRegion, entry };
  return { kind: "name", name: parts.name, region: parts.region || defaultRegion, entry };
}

/** The region an entry names, if it names one. */
export function queueRegion(entry: string): string | undefined {
  const { region } = split(entry.trim());
  return region !== undefined && REGION_RE.test(region) ? region : undefined;
}

/** The queue's name, for logs and errors. */
export function queueDisplayName(ref: QueueRef): string {
  return ref.kind === "name" ? ref.name : (ref.url.split("/").filter(Boolean).pop() ?? ref.url);
}
