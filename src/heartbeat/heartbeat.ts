/**
 * LogRhythm beat heartbeats: the Open Collector watches for them to tell a beat that is running
 * but idle from one that is gone. The shape follows the LogRhythm beats (a `heartbeat` field holding
 * a JSON document, and the beat's identity); it is kept here, in one place, so it can follow them.
 */

export const HEARTBEAT_STATUS = {
  started: { code: 1, description: "Service started" },
  running: { code: 2, description: "Service is running" },
  stopped: { code: 3, description: "Service stopped" },
} as const;

export type HeartbeatStatus = keyof typeof HEARTBEAT_STATUS;

export interface HeartbeatEvent {
  "@timestamp": string;
  "@metadata": { beat: "s3beat"; version: string; type: "heartbeat" };
  fullyqualifiedbeatname: string;
  /** JSON text: {service_name, service_version, time: {seconds}, status: {code, description}}. */
  heartbeat: string;
}

export function buildHeartbeat(status: HeartbeatStatus, beat: { version: string; identifier: string }, now: Date = new Date()): HeartbeatEvent {
  return {
    "@timestamp": now.toISOString(),
    "@metadata": { beat: "s3beat", version: beat.version, type: "heartbeat" },
    fullyqualifiedbeatname: beat.identifier,
    heartbeat: JSON.stringify({
      service_name: "s3beat",
      service_version: beat.version,
      time: { seconds: Math.floor(now.getTime() / 1000) },
      status: HEARTBEAT_STATUS[status],
    }),
  };
}
