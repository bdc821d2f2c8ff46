import { randomUUID } from "node:crypto";
import { encodeNotificationKey } from "../sqs/objectKey.ts";

/**
 * Notification bodies in the exact shapes AWS sends. The emulator sends no bucket notifications,
 * so the demo and the tests post these themselves.
 */
export interface NotifiedObject {
  bucket: string;
  key: string;
  size: number;
  region?: string;
}

export function s3EventRecord(o: NotifiedObject, eventName = "ObjectCreated:Put"): Record<string, unknown> {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: o.region ?? "us-east-1",
    eventTime: new Date().toISOString(),
    eventName,
    userIdentity: { principalId: "AWS:AIDAEXAMPLEPRINCIPAL" },
    requestParameters: { sourceIPAddress: "192.0.2.10" },
    responseElements: { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD" },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "s3beat-notifications",
      bucket: { name: o.bucket, ownerIdentity: { principalId: "A3NL1KOZZKExample" }, arn: `arn:aws:s3:::${o.bucket}` },
      object: { key: encodeNotificationKey(o.key), size: o.size, eTag: "d41d8cd98f00b204e9800998ecf8427e", sequencer: "0055AED6DCD90281E5" },
    },
  };
}

export function s3Notification(objects: NotifiedObject[]): string {
  return JSON.stringify({ Records: objects.map((o) => s3EventRecord(o)) });
}

export function snsWrapped(innerBody: string, topicArn = "arn:aws:sns:us-east-1:123456789012:s3-events"): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Subject: "Amazon S3 Notification",
    Message: innerBody,
    Timestamp: new Date().toISOString(),
    SignatureVersion: "1",
    Signature: "EXAMPLE",
    SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem",
    UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
  });
}

export function eventBridgeObjectCreated(o: NotifiedObject): string {
  const region = o.region ?? "us-east-1";
  return JSON.stringify({
    version: "0",
    id: randomUUID(),
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "123456789012",
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:s3:::${o.bucket}`],
    detail: {
      version: "0",
      bucket: { name: o.bucket },
      object: { key: encodeNotificationKey(o.key), size: o.size, etag: "d41d8cd98f00b204e9800998ecf8427e", sequencer: "00617F08299329D189" },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: "123456789012",
      "source-ip-address": "192.0.2.10",
      reason: "PutObject",
    },
  });
}

export function s3TestEvent(bucket: string): string {
  return JSON.stringify({
    Service: "Amazon S3",
    Event: "s3:TestEvent",
    Time: new Date().toISOString(),
    Bucket: bucket,
    RequestId: "5582815E1AEA5ADF",
    HostId: "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
  });
}
