import { hostname } from "node:os";
import { BEAT_NAME } from "../config/identity.ts";

/**
 * LogRhythm beat heartbeats: the Open Collector watches for them to tell a beat that is running
 * but idle from one that is gone. The shape follows the LogRhythm beats exactly (a `heartbeat` field
 * holding JSON text whose time is Unix time in nanoseconds, and the beat's identity); it is kept
 * here, in one place, so it can follow them.
 */

export const HEARTBEAT_STATUS = {
  started: { code: 1, description: "Service started" },
  running: { code: 2, description: "Service is Running" },
  stopped: { code: 3, description: "Service is Stopped" },
} as const;

export type HeartbeatStatus = keyof typeof HEARTBEAT_STATUS;

export interface HeartbeatEvent {
  "@timestamp": string;
  "@metadata": { beat: "s3beat"; version: string; type: "heartbeat" };
  "@version": "1";
  beat: { hostname: string; name: string; version: string };
  host: { name: string };
  fullyqualifiedbeatname: string;
  /** JSON text: {service_name, service_version, time: {seconds: Unix time in ns}, status: {code, description}}. */
  heartbeat: string;
}

/**
 * The `heartbeat` JSON text. `time.seconds` holds Unix time in NANOseconds (as the LogRhythm beats
 * send it, despite the name); that exceeds 2^53, so the digits are written from a BigInt rather than
 * through a JS number, which would round them.
 */
export function heartbeatText(status: HeartbeatStatus, version: string, now: Date): string {
  const nanos = BigInt(now.getTime()) * 1_000_000n;
  const { code, description } = HEARTBEAT_STATUS[status];
  return (
    `{"service_name":${JSON.stringify(BEAT_NAME)},"service_version":${JSON.stringify(version)},` +
    `"time":{"seconds":${nanos.toString()}},"status":{"code":${code},"description":${JSON.stringify(description)}}}`
  );
}

/** `beat.identifier`: the fully qualified beat name (see fullyQualifiedBeatName). */
export function buildHeartbeat(
  status: HeartbeatStatus,
  beat: { version: string; identifier: string; hostname?: string },
  now: Date = new Date(),
): HeartbeatEvent {
  const host = beat.hostname ?? hostname();
  return {
    "@timestamp": now.toISOString(),
    "@metadata": { beat: "s3beat", version: beat.version, type: "heartbeat" },
    "@version": "1",
    beat: { hostname: host, name: beat.identifier, version: beat.version },
    host: { name: host },
    fullyqualifiedbeatname: beat.identifier,
    heartbeat: heartbeatText(status, beat.version, now),
  };
}
