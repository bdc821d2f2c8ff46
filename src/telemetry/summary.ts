import { statsDelta, type Stats } from "./stats.ts";
import { definedOnly } from "../util/optional.ts";

export interface SummaryInput {
  now: Stats;
  prev: Stats;
  periodSeconds: number;
  inFlight: number;
  /** Last backlog read per queue (visible / in flight / delayed, and the dead-letter queue's). */
  backlogs: ReadonlyMap<string, { queue: { visible: number; in_flight: number; delayed: number }; deadLetter?: { visible: number } }>;
  memory: NodeJS.MemoryUsage;
}

/**
 * The periodic summary line (libbeat's "Non-zero metrics in the last 30s"), logged also when
 * nothing happened, so that a quiet daemon is visibly alive. Pure: the daemon supplies the numbers.
 */
export function summarize(i: SummaryInput): { message: string; fields: Record<string, unknown> } {
  const delta = statsDelta(i.now, i.prev);
  const backlog = Object.fromEntries(
    [...i.backlogs].map(([q, b]) => [
      q,
      definedOnly({ visible: b.queue.visible, inFlight: b.queue.in_flight, delayed: b.queue.delayed, deadLetter: b.deadLetter?.visible }),
    ]),
  );
  const waiting = [...i.backlogs.values()].reduce((n, b) => n + b.queue.visible, 0);
  const dlq = [...i.backlogs.values()].reduce((n, b) => n + (b.deadLetter?.visible ?? 0), 0);
  const period = `${i.periodSeconds}s`;
  const tail = `${i.inFlight} in flight, ${waiting} waiting in the queue${i.backlogs.size === 1 ? "" : "s"}${dlq > 0 ? `, ${dlq} in dead-letter queues` : ""}`;
  const idle = Object.keys(delta).length === 0;
  const message = idle
    ? `idle: no messages in the last ${period}; ${tail}`
    : `in the last ${period}: ${delta.messagesReceived ?? 0} messages received, ${delta.messagesDeleted ?? 0} deleted, ${delta.eventsAcked ?? 0} events acknowledged` +
      `${delta.messagesRetried ? `, ${delta.messagesRetried} retried` : ""}${delta.objectsFailed ? `, ${delta.objectsFailed} objects failed` : ""}; ${tail}`;
  const m = i.memory;
  return {
    message,
    fields: {
      periodSeconds: i.periodSeconds,
      idle,
      delta,
      inFlight: i.inFlight,
      backlog,
      memory: { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers },
    },
  };
}
