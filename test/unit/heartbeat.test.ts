import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigText } from "../../src/config/load.ts";
import { fullyQualifiedBeatName } from "../../src/config/identity.ts";
import { buildHeartbeat, heartbeatText } from "../../src/events/heartbeat.ts";
import { buildEvent } from "../../src/events/event.ts";

const AT = new Date("2026-12-01T00:00:00.123Z");

describe("buildHeartbeat", () => {
  it.each([
    ["started", 1, "Service started"],
    ["running", 2, "Service is Running"],
    ["stopped", 3, "Service is Stopped"],
  ] as const)("%s: status %i %j, as the LogRhythm beats send it", (status, code, description) => {
    const hb = buildHeartbeat(status, { version: "1.2.3", identifier: "s3beat_prod_1" }, AT);
    // The exact text: time.seconds is Unix time in NANOseconds, an integer literal beyond 2^53.
    expect(hb.heartbeat).toBe(
      `{"service_name":"s3beat","service_version":"1.2.3","time":{"seconds":1796083200123000000},"status":{"code":${code},"description":"${description}"}}`,
    );
    expect(JSON.parse(hb.heartbeat)).toMatchObject({ service_name: "s3beat", service_version: "1.2.3", status: { code, description } });
  });

  it("writes the nanosecond digits exactly (no float rounding)", () => {
    // 1796083200123000000 > 2^53: a Number could not hold these digits.
    expect(Number.isSafeInteger(AT.getTime() * 1e6)).toBe(false);
    const seconds = /"seconds":(\d+)\}/.exec(heartbeatText("running", "1", AT))![1];
    expect(seconds).toBe("1796083200123000000");
    expect(BigInt(seconds!)).toBe(BigInt(AT.getTime()) * 1_000_000n);
    expect(/"seconds":(\d+)\}/.exec(heartbeatText("running", "1", new Date(1)))![1]).toBe("1000000");
  });

  it("carries @version, beat {hostname, name, version}, host.name, the beat name, @timestamp and @metadata", () => {
    const hb = buildHeartbeat("running", { version: "1.2.3", identifier: "s3beat_prod_1" }, AT);
    expect(hb).toEqual({
      "@timestamp": "2026-12-01T00:00:00.123Z",
      "@metadata": { beat: "s3beat", version: "1.2.3", type: "heartbeat" },
      "@version": "1",
      beat: { hostname: hostname(), name: "s3beat_prod_1", version: "1.2.3" },
      host: { name: hostname() },
      fullyqualifiedbeatname: "s3beat_prod_1",
      heartbeat: hb.heartbeat,
    });
  });

  it("escapes the version as JSON", () => {
    expect(JSON.parse(heartbeatText("started", 'x"y', AT))).toMatchObject({ service_version: 'x"y' });
  });
});

describe("the fully qualified beat name", () => {
  const MINIMAL = `s3beat:\n  sqsQueues: ["q1:us-east-1"]\noutput.console:\n`;
  const named = (yamlLines: string[], env: NodeJS.ProcessEnv) =>
    loadConfigText(MINIMAL.replace("s3beat:\n", `s3beat:\n${yamlLines.map((l) => `  ${l}\n`).join("")}`), "s3beat.yml", env).settings.s3beat.beatIdentifier;

  it("FullyQualifiedBeatName from the environment, used as given (even over beatIdentifier)", () => {
    expect(fullyQualifiedBeatName(undefined, { FullyQualifiedBeatName: "s3beat_siem_prod_01" })).toBe("s3beat_siem_prod_01");
    expect(fullyQualifiedBeatName("ignored", { FullyQualifiedBeatName: "AnyThing goes!" })).toBe("AnyThing goes!");
    expect(named([], { FullyQualifiedBeatName: "s3beat_siem_prod_01" })).toBe("s3beat_siem_prod_01");
    expect(named(["beatIdentifier: other"], { FullyQualifiedBeatName: "Custom Name" })).toBe("Custom Name");
  });

  it("s3beat_<beatIdentifier> when the environment does not name it", () => {
    expect(fullyQualifiedBeatName("prod_1", {})).toBe("s3beat_prod_1");
    expect(named(["beatIdentifier: prod-01"], {})).toBe("s3beat_prod-01");
    expect(named(["beatIdentifier: abcdefghijkl"], {})).toBe("s3beat_abcdefghijkl");
    expect(named(["beatIdentifier: 42"], {})).toBe("s3beat_42");
    expect(named(["beatIdentifier: ${ID}"], { ID: "siem" })).toBe("s3beat_siem");
  });

  it("plain s3beat otherwise (an empty variable or identifier counts as unset)", () => {
    expect(fullyQualifiedBeatName(undefined, {})).toBe("s3beat");
    expect(named([], {})).toBe("s3beat");
    expect(named(['beatIdentifier: ""'], { FullyQualifiedBeatName: "" })).toBe("s3beat");
  });

  it.each(["abcdefghijklm", "has space", "dot.ted", "s3beat/x"])("rejects beatIdentifier %j with a clear error", (id) => {
    let err: unknown;
    try {
      named([`beatIdentifier: "${id}"`], {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      expect.objectContaining({
        path: "s3beat.beatIdentifier",
        message: "must be 1–12 characters of letters, digits, _ and - (the beat is named s3beat_<beatIdentifier>)",
      }),
    ]);
  });

  it("events carry the same name as heartbeats", () => {
    const name = named(["beatIdentifier: prod_1"], {});
    const ev = buildEvent({ bucket: "b", key: "k", region: "us-east-1" }, { text: "x", offset: 0, truncated: false, multiline: false }, "1.2.3", AT, name);
    expect(ev.fullyqualifiedbeatname).toBe("s3beat_prod_1");
    expect(buildHeartbeat("started", { version: "1.2.3", identifier: name }, AT).fullyqualifiedbeatname).toBe("s3beat_prod_1");
  });
});
