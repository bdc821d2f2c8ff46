import { describe, expect, it } from "vitest";
import { buildEvent, eventId } from "../../src/pipeline/event.ts";

describe("events", () => {
  it("ids are deterministic per bucket, key and offset", () => {
    expect(eventId("b", "k", 10)).toBe(eventId("b", "k", 10));
    expect(new Set([eventId("b", "k", 10), eventId("b", "k", 11), eventId("b", "k2", 10), eventId("b2", "k", 10)]).size).toBe(4);
    // The separator keeps ("ab","c") and ("a","bc") apart.
    expect(eventId("ab", "c", 0)).not.toBe(eventId("a", "bc", 0));
  });

  it("carry the DESIGN §7 fields and flags", () => {
    const e = buildEvent({ bucket: "logs", key: "a b/é.log", region: "eu-west-1" }, { offset: 42, text: "hello", truncated: true, multiline: true }, "9.9.9", new Date(0));
    expect(e).toMatchObject({
      "@timestamp": "1970-01-01T00:00:00.000Z",
      message: "hello",
      log: { file: { path: "s3://logs/a b/é.log" }, offset: 42, flags: ["truncated", "multiline"] },
      aws: { s3: { bucket: { name: "logs", arn: "arn:aws:s3:::logs" }, object: { key: "a b/é.log" } } },
      cloud: { provider: "aws", region: "eu-west-1" },
    });
    expect(e.event.id).toBe(eventId("logs", "a b/é.log", 42));
    expect(e["@metadata"]._id).toBe(e.event.id);
  });

  it("has no flags or error when there is nothing to flag", () => {
    const e = buildEvent({ bucket: "b", key: "k", region: "r" }, { offset: 0, text: "x", truncated: false }, "1");
    expect(e.log.flags).toBeUndefined();
    expect(e.error).toBeUndefined();
  });
});
