import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig } from "../support/aws.ts";
import { spawnS3beat } from "../support/child.ts";

describe("LogRhythm heartbeats and beat identity (the daemon as a child process)", () => {
  const env = useTestAws("hb-bucket");

  it("sends status 1 at start, 2 at the interval, 3 at shutdown; events and heartbeats carry FullyQualifiedBeatName", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "hb");
    await putObject(aws, "hb-bucket", "hb/1.log", "one\n");
    await sendBodies(aws, url, [s3Notification([{ bucket: "hb-bucket", key: "hb/1.log", size: 4 }])]);
    const out = `${dir}/hb-out`;
    const cfg = await writeConfig(
      dir,
      testConfig(aws, url, { s3beat: ["heartbeatinterval: 1s", "beatIdentifier: ignored"], output: `output.file: { path: ${out} }` }),
      "hb.yml",
    );
    const started = Date.now();
    // Used as given, over the file's beatIdentifier.
    const child = spawnS3beat(["run", "-c", cfg], { FullyQualifiedBeatName: "s3beat_siem_prod_01" });
    const heartbeats = async () => (await readFileOutput(out).catch(() => ({ heartbeats: [] }))).heartbeats;
    await waitFor("three running heartbeats", async () => (await heartbeats()).length >= 4, 30_000);
    await waitFor("the message deleted", async () => (await queueDepth(aws, url)).inFlight + (await queueDepth(aws, url)).visible === 0);
    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);

    const { events, heartbeats: beats } = await readFileOutput(out);
    type Doc = { service_name: string; service_version: string; time: { seconds: number }; status: { code: number; description: string } };
    const docs = beats.map((b) => JSON.parse(b.heartbeat) as Doc);
    const codes = docs.map((d) => d.status.code);
    const DESCRIPTIONS: Record<number, string> = { 1: "Service started", 2: "Service is Running", 3: "Service is Stopped" };
    for (const d of docs) expect(d.status.description).toBe(DESCRIPTIONS[d.status.code]);
    // time.seconds: Unix time in NANOseconds, an integer literal, within a few seconds of now.
    for (const b of beats) {
      const ns = BigInt(/"time":\{"seconds":(\d+)\}/.exec(b.heartbeat)![1]!);
      expect(ns).toBeGreaterThanOrEqual(BigInt(started - 5000) * 1_000_000n);
      expect(ns).toBeLessThanOrEqual(BigInt(Date.now() + 5000) * 1_000_000n);
      expect(ns).toBe(BigInt(Date.parse(b["@timestamp"])) * 1_000_000n);
    }
    expect(new Set(beats.map((b) => JSON.stringify([b["@version"], b.beat, b.host])))).toEqual(
      new Set([JSON.stringify(["1", { hostname: hostname(), name: "s3beat_siem_prod_01", version: docs[0]!.service_version }, { name: hostname() }])]),
    );
    expect(codes[0]).toBe(1);
    expect(codes.at(-1)).toBe(3);
    expect(codes.slice(1, -1).every((c) => c === 2)).toBe(true);
    expect(codes.filter((c) => c === 2).length).toBeGreaterThanOrEqual(3);
    // Spaced by the interval (1 s), give or take scheduling: not a burst.
    const running = beats.filter((_, i) => codes[i] === 2).map((b) => Date.parse(b["@timestamp"]));
    for (let i = 1; i < running.length; i++) expect(running[i]! - running[i - 1]!).toBeGreaterThanOrEqual(500);
    expect(new Set(beats.map((b) => b.fullyqualifiedbeatname))).toEqual(new Set(["s3beat_siem_prod_01"]));
    expect(events.map((e) => [e.message, e.fullyqualifiedbeatname])).toEqual([["one", "s3beat_siem_prod_01"]]);
  });

  it("heartbeatdisabled: true sends none", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "hb-off");
    await putObject(aws, "hb-bucket", "hb/2.log", "two\n");
    await sendBodies(aws, url, [s3Notification([{ bucket: "hb-bucket", key: "hb/2.log", size: 4 }])]);
    const out = `${dir}/hb-off-out`;
    const cfg = await writeConfig(
      dir,
      testConfig(aws, url, { s3beat: ["heartbeatdisabled: true", "heartbeatinterval: 1s"], output: `output.file: { path: ${out} }` }),
      "hb-off.yml",
    );
    const child = spawnS3beat(["run", "-c", cfg]);
    await waitFor("the message deleted", async () => (await queueDepth(aws, url)).inFlight + (await queueDepth(aws, url)).visible === 0);
    await new Promise((r) => setTimeout(r, 1500)); // more than an interval
    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
    const { events, heartbeats } = await readFileOutput(out);
    expect(heartbeats).toEqual([]);
    expect(events.map((e) => e.message)).toEqual(["two"]);
  });
});
