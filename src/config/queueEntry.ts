/** `sqsQueues` entries: `name:region` or a queue URL. */
import { REGION_RE } from "./checks.ts";

// SQS: up to 80 characters, the ".fifo" suffix of a FIFO queue included.
const QUEUE_NAME_RE = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;
export const QUEUE_HINT = `expected "name:region" (e.g. "my-queue:us-east-1") or a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)`;

export function checkQueue(entry: string): string {
  if (/^https?:\/\//i.test(entry)) {
    let segments: string[] = [];
    try {
      segments = new URL(entry).pathname.split("/").filter(Boolean);
    } catch {
      // fall through to the error below
    }
    if (segments.length !== 2) throw new Error(`${QUEUE_HINT}; this URL has no /ACCOUNT/NAME path`);
    return entry;
  }
  const colon = entry.lastIndexOf(":");
  if (colon < 0) throw new Error(`${QUEUE_HINT}, got "${entry}"`);
  const name = entry.slice(0, colon);
  const region = entry.slice(colon + 1);
  if (!QUEUE_NAME_RE.test(name)) {
    throw new Error(`queue name "${name}" is not valid: up to 80 letters, digits, - and _ (FIFO names end in .fifo)`);
  }
  if (!REGION_RE.test(region)) throw new Error(`"${region}" is not an AWS region like us-east-1`);
  return entry;
}
