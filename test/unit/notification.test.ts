import { describe, expect, it } from "vitest";
import { eventBridgeObjectCreated, s3EventRecord, s3Notification, s3TestEvent, snsWrapped } from "../../src/demo/notifications.ts";
import { parseNotification } from "../../src/sqs/notification.ts";

const obj = (key: string, region?: string) => ({ bucket: "b1", key, size: 10, ...(region ? { region } : {}) });

describe("parseNotification", () => {
  it.each([
    { name: "raw S3, one record", body: s3Notification([obj("a b.log")]), keys: ["a b.log"] },
    { name: "raw S3, several records", body: s3Notification([obj("x"), obj("y+z"), obj("é")]), keys: ["x", "y+z", "é"] },
    { name: "SNS-wrapped", body: snsWrapped(s3Notification([obj("sns/k 1")])), keys: ["sns/k 1"] },
    { name: "EventBridge Object Created", body: eventBridgeObjectCreated(obj("eb/100% sûr.log")), keys: ["eb/100% sûr.log"] },
  ])("$name", ({ body, keys }) => {
    const parsed = parseNotification(body, "us-east-1");
    expect(parsed.kind).toBe("objects");
    if (parsed.kind !== "objects") return;
    expect(parsed.objects.map((o) => o.key)).toEqual(keys);
    expect(parsed.objects.every((o) => o.bucket === "b1" && o.size === 10)).toBe(true);
  });

  it("takes the region from the record, falling back to the queue's", () => {
    const body = JSON.stringify({ Records: [s3EventRecord(obj("k", "eu-west-3")), { ...s3EventRecord(obj("k2")), awsRegion: "" }] });
    const parsed = parseNotification(body, "ap-south-1");
    expect(parsed.kind === "objects" && parsed.objects.map((o) => o.region)).toEqual(["eu-west-3", "ap-south-1"]);
  });

  it("ignores non-create events and non-S3 records but keeps the rest", () => {
    const body = JSON.stringify({
      Records: [s3EventRecord(obj("gone"), "ObjectRemoved:Delete"), { ...s3EventRecord(obj("x")), eventSource: "aws:sqs" }, s3EventRecord(obj("kept"))],
    });
    const parsed = parseNotification(body, "us-east-1");
    expect(parsed).toMatchObject({ kind: "objects", ignored: 2 });
    expect(parsed.kind === "objects" && parsed.objects.map((o) => o.key)).toEqual(["kept"]);
  });

  it("reads the good records of a message that also has bad ones, and reports the bad ones", () => {
    const body = JSON.stringify({
      Records: [s3EventRecord(obj("good 1")), 42, { ...s3EventRecord(obj("k")), s3: { bucket: { name: "b" }, object: {} } }, s3EventRecord(obj("good 2"))],
    });
    const parsed = parseNotification(body, "us-east-1");
    expect(parsed.kind === "objects" && parsed.objects.map((o) => o.key)).toEqual(["good 1", "good 2"]);
    expect(parsed.kind === "objects" && parsed.problems).toEqual(["Records[1] is not an object", "Records[2] lacks s3.bucket.name or s3.object.key"]);
  });

  it("ignores EventBridge events other than Object Created", () => {
    const body = JSON.stringify({ ...JSON.parse(eventBridgeObjectCreated(obj("k"))), "detail-type": "Object Deleted" });
    expect(parseNotification(body, "us-east-1")).toEqual({ kind: "objects", objects: [], ignored: 1 });
  });

  it.each([
    { name: "test event", body: s3TestEvent("b1"), kind: "test-event" },
    { name: "test event via SNS", body: snsWrapped(s3TestEvent("b1")), kind: "test-event" },
    { name: "not JSON", body: "hello {", kind: "malformed", reason: /not JSON/ },
    { name: "JSON array", body: "[1,2]", kind: "malformed", reason: /not a JSON object/ },
    { name: "unknown object", body: '{"foo":1}', kind: "malformed", reason: /not an S3 notification/ },
    {
      name: "record without key",
      body: JSON.stringify({ Records: [{ ...s3EventRecord(obj("k")), s3: { bucket: { name: "b" }, object: {} } }] }),
      kind: "malformed",
      reason: /lacks/,
    },
    { name: "record not an object", body: '{"Records":[42]}', kind: "malformed", reason: /Records\[0\]/ },
    { name: "SNS Message not JSON", body: JSON.stringify({ Type: "Notification", Message: "nope" }), kind: "malformed", reason: /SNS Message/ },
    {
      name: "EventBridge without key",
      body: JSON.stringify({ source: "aws.s3", "detail-type": "Object Created", detail: { bucket: { name: "b" } } }),
      kind: "malformed",
      reason: /EventBridge/,
    },
  ])("$name -> $kind", ({ body, kind, reason }) => {
    const parsed = parseNotification(body, "us-east-1");
    expect(parsed.kind).toBe(kind);
    if (reason) expect(parsed.kind === "malformed" && parsed.reason).toMatch(reason);
  });
});
