import type { ObjectRef } from "../events/event.ts";
import { decodeNotificationKey } from "./objectKey.ts";
import { definedOnly } from "../util/optional.ts";

/**
 * What one SQS message body means. Parsing is pure so that every shape S3 can send (raw, wrapped in
 * SNS, EventBridge, test events) is table-tested without a queue.
 */
export type ParsedNotification =
  | { kind: "objects"; objects: ObjectRef[]; ignored: number; problems?: string[] }
  | { kind: "test-event"; bucket?: string }
  | { kind: "malformed"; reason: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseNotification(body: string, defaultRegion: string): ParsedNotification {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    return { kind: "malformed", reason: `body is not JSON (${(err as Error).message})` };
  }
  return parseDocument(doc, defaultRegion, 0);
}

function parseDocument(doc: unknown, defaultRegion: string, depth: number): ParsedNotification {
  if (!isObject(doc)) return { kind: "malformed", reason: "body is not a JSON object" };

  // SNS fan-out wraps the S3 notification as a string in Message (unless raw delivery is on).
  if (doc.Type === "Notification" && typeof doc.Message === "string") {
    if (depth > 0) return { kind: "malformed", reason: "nested SNS envelope" };
    let inner: unknown;
    try {
      inner = JSON.parse(doc.Message);
    } catch {
      return { kind: "malformed", reason: "SNS Message is not JSON" };
    }
    return parseDocument(inner, defaultRegion, depth + 1);
  }

  if (doc.Event === "s3:TestEvent") {
    return { kind: "test-event", bucket: typeof doc.Bucket === "string" ? doc.Bucket : undefined };
  }

  if (doc.source === "aws.s3" && typeof doc["detail-type"] === "string") {
    return parseEventBridge(doc, defaultRegion);
  }

  if (Array.isArray(doc.Records)) return parseS3Records(doc.Records, defaultRegion);

  return { kind: "malformed", reason: "not an S3 notification (no Records, no EventBridge detail)" };
}

function parseS3Records(records: unknown[], defaultRegion: string): ParsedNotification {
  const objects: ObjectRef[] = [];
  const problems: string[] = [];
  let ignored = 0;
  for (const [i, record] of records.entries()) {
    if (!isObject(record)) {
      problems.push(`Records[${i}] is not an object`);
      continue;
    }
    if (record.eventSource !== "aws:s3" || typeof record.eventName !== "string" || !record.eventName.startsWith("ObjectCreated:")) {
      ignored++;
      continue;
    }
    const s3 = record.s3;
    const bucket = isObject(s3) && isObject(s3.bucket) ? s3.bucket.name : undefined;
    const object = isObject(s3) && isObject(s3.object) ? s3.object : undefined;
    if (typeof bucket !== "string" || bucket === "" || !object || typeof object.key !== "string" || object.key === "") {
      problems.push(`Records[${i}] lacks s3.bucket.name or s3.object.key`);
      continue;
    }
    objects.push({
      bucket,
      key: decodeNotificationKey(object.key),
      region: typeof record.awsRegion === "string" && record.awsRegion !== "" ? record.awsRegion : defaultRegion,
      ...definedOnly({ size: typeof object.size === "number" ? object.size : undefined }),
    });
  }
  // A bad record must not cost the good ones: they are read, and the bad ones reported.
  if (objects.length === 0 && problems.length > 0) return { kind: "malformed", reason: problems.join("; ") };
  return definedOnly({ kind: "objects", objects, ignored, problems: problems.length > 0 ? problems : undefined });
}

function parseEventBridge(doc: Json, defaultRegion: string): ParsedNotification {
  if (doc["detail-type"] !== "Object Created") return { kind: "objects", objects: [], ignored: 1 };
  const detail = doc.detail;
  const bucket = isObject(detail) && isObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = isObject(detail) && isObject(detail.object) ? detail.object : undefined;
  if (typeof bucket !== "string" || bucket === "" || !object || typeof object.key !== "string" || object.key === "") {
    return { kind: "malformed", reason: "EventBridge event lacks detail.bucket.name or detail.object.key" };
  }
  return {
    kind: "objects",
    objects: [
      {
        bucket,
        // EventBridge keys use the same form-URL encoding as S3 notifications.
        key: decodeNotificationKey(object.key),
        region: typeof doc.region === "string" && doc.region !== "" ? doc.region : defaultRegion,
        ...definedOnly({ size: typeof object.size === "number" ? object.size : undefined }),
      },
    ],
    ignored: 0,
  };
}
