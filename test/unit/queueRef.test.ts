import { describe, expect, it } from "vitest";
import { parseQueueEntry, queueDisplayName } from "../../src/config/queueEntry.ts";

describe("parseQueueEntry", () => {
  it.each([
    { entry: "prod-cloudtrail-events:us-east-1", want: { kind: "name", name: "prod-cloudtrail-events", region: "us-east-1" } },
    { entry: "plain-name", want: { kind: "name", name: "plain-name", region: "eu-west-1" } },
    { entry: "name:", want: { kind: "name", name: "name", region: "eu-west-1" } },
    { entry: "https://sqs.ap-southeast-2.amazonaws.com/123456789012/q1", want: { kind: "url", region: "ap-southeast-2" } },
    { entry: "https://ap-northeast-1.queue.amazonaws.com/123456789012/q2", want: { kind: "url", region: "ap-northeast-1" } },
    { entry: "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q3", want: { kind: "url", region: "cn-north-1" } },
    { entry: "http://127.0.0.1:4566/000000000000/local", want: { kind: "url", region: "eu-west-1" } },
  ])("$entry", ({ entry, want }) => {
    expect(parseQueueEntry(entry, "eu-west-1")).toMatchObject(want);
  });

  it.each([
    ["q:us-east-1", "q"],
    ["https://sqs.us-east-1.amazonaws.com/123456789012/my-queue", "my-queue"],
  ])("display name of %s is %s", (entry, name) => {
    expect(queueDisplayName(parseQueueEntry(entry, "us-east-1"))).toBe(name);
  });
});
