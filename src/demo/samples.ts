import { gzipSync } from "node:zlib";

/** A sample object of the demo, with the number of events it must produce. */
export interface SampleObject {
  key: string;
  body: Buffer;
  expectedEvents: number;
  what: string;
}

const at = (i: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, i)).toISOString();

function accessLog(n: number): string {
  const paths = ["/", "/login", "/api/v1/orders", "/static/app.js", "/health"];
  return (
    Array.from(
      { length: n },
      (_, i) =>
        `192.0.2.${i + 1} - - [22/Nov/2026:12:00:${String(i % 60).padStart(2, "0")} +0000] "GET ${paths[i % paths.length]} HTTP/1.1" ${i % 7 === 0 ? 404 : 200} ${512 + i}`,
    ).join("\n") + "\n"
  );
}

function ndjson(n: number): string {
  return (
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({ ts: at(i), level: i % 5 === 0 ? "warn" : "info", msg: `order ${1000 + i} processed`, durationMs: 10 + i }),
    ).join("\n") + "\n"
  );
}

function cloudTrail(n: number): string {
  const names = ["ConsoleLogin", "AssumeRole", "GetObject", "PutBucketPolicy", "CreateUser"];
  return JSON.stringify({
    Records: Array.from({ length: n }, (_, i) => ({
      eventVersion: "1.08",
      userIdentity: { type: "IAMUser", principalId: "AIDAEXAMPLE", arn: "arn:aws:iam::123456789012:user/alice", accountId: "123456789012", userName: "alice" },
      eventTime: at(i),
      eventSource: names[i % names.length] === "ConsoleLogin" ? "signin.amazonaws.com" : "iam.amazonaws.com",
      eventName: names[i % names.length],
      awsRegion: "us-east-1",
      sourceIPAddress: "198.51.100.7",
      userAgent: "aws-cli/2.15.0",
      requestParameters: { note: "braces } and ] inside strings stay intact" },
      eventID: `3f0b${i.toString(16).padStart(4, "0")}-demo`,
      readOnly: i % 2 === 0,
      eventType: "AwsApiCall",
      recipientAccountId: "123456789012",
    })),
  });
}

function javaLog(): { text: string; events: number } {
  const text =
    "2026-11-22 12:00:00,001 INFO  Started OrderService\n" +
    "2026-11-22 12:00:01,002 ERROR Payment failed\n" +
    "java.lang.IllegalStateException: card declined\n" +
    "\tat com.example.Payments.charge(Payments.java:42)\n" +
    "\tat com.example.Orders.checkout(Orders.java:17)\n" +
    "2026-11-22 12:00:02,003 INFO  Retrying order 1001\n";
  return { text, events: 3 };
}

/** The demo's objects: plain lines, gzip NDJSON, a gzip CloudTrail file, multiline Java logs, and awkward keys. */
export function demoSamples(): SampleObject[] {
  const java = javaLog();
  return [
    { key: "logs/web/2026/11/22/access log 01.txt", body: Buffer.from(accessLog(12)), expectedEvents: 12, what: "plain lines, key with a space" },
    { key: "logs/app/orders+2026-11-22.ndjson.gz", body: gzipSync(ndjson(10)), expectedEvents: 10, what: "gzip NDJSON, key with '+'" },
    {
      key: "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/123456789012_CloudTrail_us-east-1_20261122T1200Z_demo.json.gz",
      body: gzipSync(cloudTrail(5)),
      expectedEvents: 5,
      what: "gzip CloudTrail, one event per record",
    },
    {
      key: "logs/intl/journal d'accès été 100%.log",
      body: Buffer.from("connexion réussie pour élodie\naccès refusé pour 192.0.2.77\n"),
      expectedEvents: 2,
      what: "non-ASCII key with '%' and spaces",
    },
    { key: "logs/java/order-service.log", body: Buffer.from(java.text), expectedEvents: java.events, what: "Java stack traces joined by multiline" },
  ];
}
