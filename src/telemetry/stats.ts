/** Counters of what the daemon did: logged periodically and at shutdown, used by the demo and tests. */
export interface Stats {
  messagesReceived: number;
  messagesDeleted: number;
  messagesRetried: number;
  messagesReleased: number;
  /** Releases at shutdown that failed (the message reappears after its visibility timeout). */
  messagesReleaseFailed: number;
  messagesMalformed: number;
  testEvents: number;
  objectsRead: number;
  objectsFiltered: number;
  objectsNotFound: number;
  objectsFailed: number;
  objectsTooLarge: number;
  objectsPoison: number;
  eventsPublished: number;
  eventsAcked: number;
  eventsTruncated: number;
  eventsInvalidUtf8: number;
  receiveErrors: number;
  visibilityExtensions: number;
  bytesRead: number;
  bytesDecoded: number;
  outputErrors: number;
  credentialFailures: number;
}

export function newStats(): Stats {
  return {
    messagesReceived: 0,
    messagesDeleted: 0,
    messagesRetried: 0,
    messagesReleased: 0,
    messagesReleaseFailed: 0,
    messagesMalformed: 0,
    testEvents: 0,
    objectsRead: 0,
    objectsFiltered: 0,
    objectsNotFound: 0,
    objectsFailed: 0,
    objectsTooLarge: 0,
    objectsPoison: 0,
    eventsPublished: 0,
    eventsAcked: 0,
    eventsTruncated: 0,
    eventsInvalidUtf8: 0,
    receiveErrors: 0,
    visibilityExtensions: 0,
    bytesRead: 0,
    bytesDecoded: 0,
    outputErrors: 0,
    credentialFailures: 0,
  };
}

/** The counters that changed since `prev` (libbeat logs only non-zero deltas). */
export function statsDelta(now: Stats, prev: Stats): Partial<Stats> {
  const out: Partial<Stats> = {};
  for (const k of Object.keys(now) as (keyof Stats)[]) {
    const d = now[k] - prev[k];
    if (d !== 0) out[k] = d;
  }
  return out;
}
