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

describe("parseNotification: the whole result for each shape", () => {
  const record = (over: Record<string, unknown> = {}, s3: unknown = { bucket: { name: "b1" }, object: { key: "k", size: 7 } }) => ({
    eventSource: "aws:s3",
    eventName: "ObjectCreated:Put",
    awsRegion: "eu-west-3",
    s3,
    ...over,
  });
  const records = (...rs: unknown[]) => JSON.stringify({ Records: rs });
  const eventBridge = (over: Record<string, unknown> = {}, detail: unknown = { bucket: { name: "b1" }, object: { key: "k", size: 7 } }) =>
    JSON.stringify({ source: "aws.s3", "detail-type": "Object Created", region: "eu-west-3", detail, ...over });
  const one = (region = "eu-west-3", extra: Record<string, unknown> = { size: 7 }) => ({
    kind: "objects",
    objects: [{ bucket: "b1", key: "k", region, ...extra }],
    ignored: 0,
  });
  const malformed = (reason: string) => ({ kind: "malformed", reason });

  it.each([
    ["a record", records(record()), one()],
    [
      "a record with a form-encoded key",
      records(record({}, { bucket: { name: "b1" }, object: { key: "a+b%2Bc" } })),
      { ...one("eu-west-3", {}), objects: [{ bucket: "b1", key: "a b+c", region: "eu-west-3" }] },
    ],
    ["a record without a size", records(record({}, { bucket: { name: "b1" }, object: { key: "k" } })), one("eu-west-3", {})],
    ["a record whose size is not a number", records(record({}, { bucket: { name: "b1" }, object: { key: "k", size: "7" } })), one("eu-west-3", {})],
    ["a record without a region", records(record({ awsRegion: undefined })), one("us-east-1")],
    ["a record whose region is not a string", records(record({ awsRegion: 3 })), one("us-east-1")],
    ["no records", records(), { kind: "objects", objects: [], ignored: 0 }],
    [
      "only ignored records",
      records(record({ eventName: "ObjectRemoved:Delete" }), record({ eventSource: "aws:sns" })),
      { kind: "objects", objects: [], ignored: 2 },
    ],
    ["a record without an event name", records(record({ eventName: undefined })), { kind: "objects", objects: [], ignored: 1 }],
    ["an event name with ObjectCreated: inside", records(record({ eventName: "x:ObjectCreated:Put" })), { kind: "objects", objects: [], ignored: 1 }],
    ["a record without s3", records(record({ s3: undefined })), malformed("Records[0] lacks s3.bucket.name or s3.object.key")],
    [
      "a record whose bucket is not an object",
      records(record({}, { bucket: "b1", object: { key: "k" } })),
      malformed("Records[0] lacks s3.bucket.name or s3.object.key"),
    ],
    [
      "a record with an empty bucket name",
      records(record({}, { bucket: { name: "" }, object: { key: "k" } })),
      malformed("Records[0] lacks s3.bucket.name or s3.object.key"),
    ],
    [
      "a record whose bucket name is not a string",
      records(record({}, { bucket: { name: 1 }, object: { key: "k" } })),
      malformed("Records[0] lacks s3.bucket.name or s3.object.key"),
    ],
    [
      "a record whose object is not an object",
      records(record({}, { bucket: { name: "b1" }, object: "k" })),
      malformed("Records[0] lacks s3.bucket.name or s3.object.key"),
    ],
    [
      "a record with an empty key",
      records(record({}, { bucket: { name: "b1" }, object: { key: "" } })),
      malformed("Records[0] lacks s3.bucket.name or s3.object.key"),
    ],
    [
      "a record whose key is not a string",
      records(record({}, { bucket: { name: "b1" }, object: { key: 5 } })),
      malformed("Records[0] lacks s3.bucket.name or s3.object.key"),
    ],
    ["two bad records", records(null, [1]), malformed("Records[0] is not an object; Records[1] is not an object")],
    [
      "a good record after an ignored and a bad one",
      records(record({ eventName: "ObjectRemoved:Delete" }), "x", record()),
      { ...one(), ignored: 1, problems: ["Records[1] is not an object"] },
    ],
    ["an EventBridge Object Created event", eventBridge(), one()],
    ["an EventBridge event without a region", eventBridge({ region: "" }), one("us-east-1")],
    ["an EventBridge event whose region is not a string", eventBridge({ region: 9 }), one("us-east-1")],
    ["an EventBridge event without a size", eventBridge({}, { bucket: { name: "b1" }, object: { key: "k" } }), one("eu-west-3", {})],
    [
      "an EventBridge event with a form-encoded key",
      eventBridge({}, { bucket: { name: "b1" }, object: { key: "a+b", size: 7 } }),
      { ...one(), objects: [{ bucket: "b1", key: "a b", region: "eu-west-3", size: 7 }] },
    ],
    ["an EventBridge event without detail", eventBridge({ detail: undefined }), malformed("EventBridge event lacks detail.bucket.name or detail.object.key")],
    [
      "an EventBridge event whose bucket is not an object",
      eventBridge({}, { bucket: "b1", object: { key: "k" } }),
      malformed("EventBridge event lacks detail.bucket.name or detail.object.key"),
    ],
    [
      "an EventBridge event with an empty bucket name",
      eventBridge({}, { bucket: { name: "" }, object: { key: "k" } }),
      malformed("EventBridge event lacks detail.bucket.name or detail.object.key"),
    ],
    [
      "an EventBridge event whose bucket name is not a string",
      eventBridge({}, { bucket: { name: 1 }, object: { key: "k" } }),
      malformed("EventBridge event lacks detail.bucket.name or detail.object.key"),
    ],
    [
      "an EventBridge event whose object is not an object",
      eventBridge({}, { bucket: { name: "b1" }, object: "k" }),
      malformed("EventBridge event lacks detail.bucket.name or detail.object.key"),
    ],
    [
      "an EventBridge event with an empty key",
      eventBridge({}, { bucket: { name: "b1" }, object: { key: "" } }),
      malformed("EventBridge event lacks detail.bucket.name or detail.object.key"),
    ],
    [
      "an EventBridge event whose key is not a string",
      eventBridge({}, { bucket: { name: "b1" }, object: { key: 5 } }),
      malformed("EventBridge event lacks detail.bucket.name or detail.object.key"),
    ],
    ["an EventBridge event of another type", eventBridge({ "detail-type": "Object Deleted" }), { kind: "objects", objects: [], ignored: 1 }],
    [
      "an EventBridge event whose type is not a string",
      eventBridge({ "detail-type": 1 }),
      malformed("not an S3 notification (no Records, no EventBridge detail)"),
    ],
    ["an event from another service", eventBridge({ source: "aws.ec2" }), malformed("not an S3 notification (no Records, no EventBridge detail)")],
    ["Records that is not an array", JSON.stringify({ Records: {} }), malformed("not an S3 notification (no Records, no EventBridge detail)")],
    ["a test event", JSON.stringify({ Event: "s3:TestEvent", Bucket: "b1" }), { kind: "test-event", bucket: "b1" }],
    ["a test event whose bucket is not a string", JSON.stringify({ Event: "s3:TestEvent", Bucket: 1 }), { kind: "test-event", bucket: undefined }],
    ["an SNS envelope around a record", JSON.stringify({ Type: "Notification", Message: records(record()) }), one()],
    [
      "an SNS envelope in an SNS envelope",
      JSON.stringify({ Type: "Notification", Message: JSON.stringify({ Type: "Notification", Message: records(record()) }) }),
      malformed("nested SNS envelope"),
    ],
    ["an SNS envelope whose Message is not JSON", JSON.stringify({ Type: "Notification", Message: "{x" }), malformed("SNS Message is not JSON")],
    ["an SNS envelope whose Message is not an object", JSON.stringify({ Type: "Notification", Message: "[]" }), malformed("body is not a JSON object")],
    [
      "an SNS envelope whose Message is not a string",
      JSON.stringify({ Type: "Notification", Message: { Records: [] } }),
      malformed("not an S3 notification (no Records, no EventBridge detail)"),
    ],
    [
      "another SNS message type",
      JSON.stringify({ Type: "SubscriptionConfirmation", Message: records(record()) }),
      malformed("not an S3 notification (no Records, no EventBridge detail)"),
    ],
    ["JSON null", "null", malformed("body is not a JSON object")],
    ["a JSON number", "5", malformed("body is not a JSON object")],
    ["a JSON string", '"Records"', malformed("body is not a JSON object")],
    ["an empty body", "", malformed("body is not JSON (Unexpected end of JSON input)")],
  ])("%s", (_name, body, want) => {
    expect(parseNotification(body, "us-east-1")).toStrictEqual(want);
  });
});
