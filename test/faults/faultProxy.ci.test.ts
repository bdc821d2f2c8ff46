// The fault suite's fault-injecting proxy itself: the real SDK parses its errors as AWS's, and its rules match and count.
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueue, putObject, TEST_KEYS, useTestAws } from "../support/aws.ts";
import { awsError, startFaultProxy, type FaultProxy } from "../support/faultProxy.ts";

const BUCKET = "fault-proxy-bucket";

describe("test/support/faultProxy.ts", () => {
  const env = useTestAws(BUCKET);
  let proxy: FaultProxy;
  let s3: S3Client;
  let sqs: SQSClient;
  beforeAll(async () => {
    proxy = await startFaultProxy({ upstream: env.aws.endpoint, seed: 3 });
    const cfg = { region: "us-east-1", endpoint: proxy.endpoint, credentials: TEST_KEYS, maxAttempts: 1 };
    s3 = new S3Client({ ...cfg, forcePathStyle: true });
    sqs = new SQSClient(cfg);
    await putObject(env.aws, BUCKET, "k/one.log", "x".repeat(100_000));
  });
  afterAll(async () => {
    s3?.destroy();
    sqs?.destroy();
    await proxy?.stop();
  });

  it("answers S3 and SQS errors that the SDK reads as AWS's codes, and counts its hits", async () => {
    const { url } = await createQueue(env.aws, "fault-proxy-q");
    const slow = proxy.add({ service: "s3", method: "GET", path: "k/one.log", fault: awsError(503, "SlowDown"), count: 1 });
    const throttled = proxy.add({ service: "sqs", action: "ReceiveMessage", fault: awsError(400, "ThrottlingException"), count: 1 });
    const failure = <T>(p: Promise<T>) =>
      p.then(
        () => {
          throw new Error("expected a failure");
        },
        (e: unknown) => e as Error & { $metadata: { httpStatusCode: number } },
      );
    const e1 = await failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "k/one.log" })));
    expect([e1.name, e1.message, e1.$metadata.httpStatusCode]).toEqual(["SlowDown", "Please reduce your request rate.", 503]);
    const e2 = await failure(sqs.send(new ReceiveMessageCommand({ QueueUrl: proxy.via(url), WaitTimeSeconds: 0 })));
    expect([e2.name, e2.message]).toEqual(["ThrottlingException", "Rate exceeded"]);
    // Count spent: the next calls go through.
    const ok = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "k/one.log" }));
    expect((await ok.Body!.transformToByteArray()).length).toBe(100_000);
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: proxy.via(url), WaitTimeSeconds: 0 }));
    expect([slow.hits, throttled.hits]).toEqual([1, 1]);
    expect(proxy.count({ service: "sqs", action: "ReceiveMessage" })).toBe(2);
    expect(proxy.count({ service: "sqs", action: "ReceiveMessage" }, "error")).toBe(1);
  });

  it("cuts a body after N bytes (the reader sees an error, not a short object)", async () => {
    const rule = proxy.add({ service: "s3", method: "GET", path: /one\.log$/, fault: { kind: "reset-after", bytes: 10_000 }, count: 1 });
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "k/one.log" }));
    let got = 0;
    const err = await (async () => {
      for await (const c of out.Body as AsyncIterable<Uint8Array>) got += c.length;
    })().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(got).toBe(10_000);
    expect(rule.hits).toBe(1);
  });

  it("classifies query/form requests by Action (SQS, STS) and fires rules by probability", async () => {
    const form = (action: string) =>
      fetch(`${proxy.endpoint}/`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `Action=${action}&Version=2011-06-15`,
      });
    proxy.add({ service: "sts", action: "AssumeRole", fault: awsError(503, "ServiceUnavailable"), count: 1 });
    const res = await form("AssumeRole");
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(
      /<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Receiver<\/Type><Code>ServiceUnavailable<\/Code>/,
    );
    const half = proxy.add({ service: "sqs", action: "ListQueues", fault: awsError(500, "InternalError"), probability: 0.5 });
    for (let i = 0; i < 40; i++) await (await form("ListQueues")).text();
    expect(half.hits).toBeGreaterThan(8);
    expect(half.hits).toBeLessThan(32);
    half.remove();
  });
});
