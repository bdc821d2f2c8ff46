/** A configured `sqsQueues` entry: either a queue name with its region, or a full queue URL. */
export type QueueRef = { kind: "name"; name: string; region: string; entry: string } | { kind: "url"; url: string; region: string; entry: string };

const AWS_QUEUE_HOST = /^(?:sqs|queue)\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const LEGACY_QUEUE_HOST = /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/;

/**
 * `name:region` or a URL. A URL's region comes from its host when it is an AWS host
 * (sqs.<region>.amazonaws.com); otherwise (custom endpoint, emulator) `defaultRegion` applies.
 */
export function parseQueueEntry(entry: string, defaultRegion: string): QueueRef {
  const trimmed = entry.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    const url = new URL(trimmed);
    const region = AWS_QUEUE_HOST.exec(url.hostname)?.[1] ?? LEGACY_QUEUE_HOST.exec(url.hostname)?.[1] ?? defaultRegion;
    return { kind: "url", url: trimmed, region, entry };
  }
  const colon = trimmed.lastIndexOf(":");
  if (colon <= 0) return { kind: "name", name: trimmed, region: defaultRegion, entry };
  const name = trimmed.slice(0, colon);
  const region = trimmed.slice(colon + 1);
  return { kind: "name", name, region: region === "" ? defaultRegion : region, entry };
}

/** The queue's name, for logs and errors. */
export function queueDisplayName(ref: QueueRef): string {
  return ref.kind === "name" ? ref.name : (ref.url.split("/").filter(Boolean).pop() ?? ref.url);
}
