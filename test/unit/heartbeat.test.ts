import { describe, expect, it } from "vitest";
import { buildHeartbeat } from "../../src/heartbeat/heartbeat.ts";

describe("buildHeartbeat", () => {
  it.each([
    ["started", 1],
    ["running", 2],
    ["stopped", 3],
  ] as const)("%s carries status %i, the service, version, time and the beat's identity", (status, code) => {
    const hb = buildHeartbeat(status, { version: "1.2.3", identifier: "s3beat_prod_1" }, new Date("2026-11-22T12:00:05.900Z"));
    expect(hb.fullyqualifiedbeatname).toBe("s3beat_prod_1");
    expect(hb["@timestamp"]).toBe("2026-11-22T12:00:05.900Z");
    expect(JSON.parse(hb.heartbeat)).toEqual({
      service_name: "s3beat",
      service_version: "1.2.3",
      time: { seconds: 1795348805 },
      status: { code, description: expect.any(String) },
    });
  });
});
