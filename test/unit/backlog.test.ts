/**
 * backlog.ts: parseQueueAttributes and parseQueueArn (table-driven), and BacklogReader,
 * deadLetterQueueUrl and DeadLetterLookup against a fake SQS client that records the commands
 * (name, input, abort signal) it is sent: which GetQueueAttributes/GetQueueUrl requests are made,
 * for which resource, what is cached, and what the readers return.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import type { AwsCaller } from "../../src/aws/authRetry.ts";
import { BacklogReader, DeadLetterLookup, deadLetterQueueUrl, parseQueueArn, parseQueueAttributes } from "../../src/sqs/backlog.ts";
import { definedOnly } from "../../src/util/optional.ts";

const URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/logs-queue";
const ARN = "arn:aws:sqs:eu-west-1:123456789012:logs-queue";
const DLQ_ARN = "arn:aws:sqs:eu-west-1:123456789012:logs-dlq";
const DLQ_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/logs-dlq";

interface Sent {
  name: string;
  input: Record<string, unknown>;
  signal: AbortSignal | undefined;
}

/** A fake SQS client: records each command and answers with `answer(name, input)` (a thrown error rejects the send). */
function fakeClient(answer: (name: string, input: Record<string, unknown>) => unknown) {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }, options?: { abortSignal?: AbortSignal }) => {
      const name = command.constructor.name;
      sent.push({ name, input: command.input, signal: options?.abortSignal });
      return answer(name, command.input);
    },
  } as unknown as SQSClient;
  return { client, sent };
}

/** A caller that records the operation and resource each call is made for. */
function recordingCaller() {
  const calls: { operation: string; resourceArn: string }[] = [];
  const caller: AwsCaller = (ctx, call) => (calls.push({ operation: ctx.operation, resourceArn: ctx.resourceArn }), call());
  return { caller, calls };
}

const counts = (visible: string, inFlight: string, delayed: string) => ({
  ApproximateNumberOfMessages: visible,
  ApproximateNumberOfMessagesNotVisible: inFlight,
  ApproximateNumberOfMessagesDelayed: delayed,
});
const redrive = (arn: string, maxReceiveCount: unknown = 5) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount });
const BACKLOG_NAMES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"];

describe("parseQueueAttributes", () => {
  it.each([
    ["all three counts", counts("12", "3", "0"), { visible: 12, in_flight: 3, delayed: 0 }],
    ["large counts", counts("1234567", "90", "45"), { visible: 1_234_567, in_flight: 90, delayed: 45 }],
    ["no attributes at all", {}, { visible: 0, in_flight: 0, delayed: 0 }],
    ["non-numeric counts", counts("x5", "5x", "abc"), { visible: 0, in_flight: 0, delayed: 0 }],
    ["negative, decimal and empty counts", counts("-1", "1.5", ""), { visible: 0, in_flight: 0, delayed: 0 }],
    ["counts with spaces", counts(" 7", "7 ", "7"), { visible: 0, in_flight: 0, delayed: 7 }],
  ])("the backlog from %s", (_name, attrs, backlog) => {
    expect(parseQueueAttributes(attrs)).toStrictEqual({ backlog });
  });

  it.each([
    ["a redrive policy", redrive(DLQ_ARN, 5), { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 }],
    ["maxReceiveCount as a string", redrive(DLQ_ARN, "3"), { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 3 }],
    ["maxReceiveCount 1", redrive(DLQ_ARN, 1), { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 1 }],
    ["maxReceiveCount 0", redrive(DLQ_ARN, 0), { deadLetterTargetArn: DLQ_ARN }],
    ["a negative maxReceiveCount", redrive(DLQ_ARN, -2), { deadLetterTargetArn: DLQ_ARN }],
    ["an infinite maxReceiveCount", redrive(DLQ_ARN, "1e999"), { deadLetterTargetArn: DLQ_ARN }],
    ["a non-numeric maxReceiveCount", redrive(DLQ_ARN, "many"), { deadLetterTargetArn: DLQ_ARN }],
    ["no maxReceiveCount", JSON.stringify({ deadLetterTargetArn: DLQ_ARN }), { deadLetterTargetArn: DLQ_ARN }],
    ["a non-string target", JSON.stringify({ deadLetterTargetArn: 42, maxReceiveCount: 4 }), { maxReceiveCount: 4 }],
    ["unparsable JSON", "{not json", {}],
    ["JSON null", "null", {}],
    ["an empty policy", "", {}],
  ])("%s", (_name, policy, want) => {
    expect(parseQueueAttributes({ ...counts("1", "2", "3"), RedrivePolicy: policy })).toStrictEqual({
      backlog: { visible: 1, in_flight: 2, delayed: 3 },
      ...want,
    });
  });
});

describe("parseQueueArn", () => {
  it.each([
    [DLQ_ARN, { region: "eu-west-1", account: "123456789012", name: "logs-dlq" }],
    ["arn:aws-cn:sqs:cn-north-1:000000000000:q.fifo", { region: "cn-north-1", account: "000000000000", name: "q.fifo" }],
    ["arn:aws:sqs:::bare", { region: "", account: "", name: "bare" }],
    ["arn:aws:sqs:us-east-1:1:a:b", { region: "us-east-1", account: "1", name: "a:b" }],
  ])("%s → its parts", (arn, parts) => {
    expect(parseQueueArn(arn)).toEqual(parts);
  });

  it.each([
    ["another service", "arn:aws:s3:::bucket"],
    ["a prefix before arn:", "xarn:aws:sqs:eu-west-1:123456789012:q"],
    ["no partition", "arn::sqs:eu-west-1:123456789012:q"],
    ["a non-numeric account", "arn:aws:sqs:eu-west-1:acct:q"],
    ["no name", "arn:aws:sqs:eu-west-1:123456789012:"],
    ["too few parts", "arn:aws:sqs:q"],
    ["a queue URL", URL],
    ["a line break after the name", `${DLQ_ARN}\nmore`],
  ])("%s is not a queue ARN", (_name, arn) => {
    expect(parseQueueArn(arn)).toBeUndefined();
  });
});

describe("deadLetterQueueUrl", () => {
  it("asks GetQueueUrl for the name, with the ARN's account as owner, for the ARN", async () => {
    const { client, sent } = fakeClient(() => ({ QueueUrl: DLQ_URL }));
    const { caller, calls } = recordingCaller();
    const signal = new AbortController().signal;
    expect(await deadLetterQueueUrl(client, caller, DLQ_ARN, signal)).toBe(DLQ_URL);
    expect(sent).toEqual([{ name: "GetQueueUrlCommand", input: { QueueName: "logs-dlq", QueueOwnerAWSAccountId: "123456789012" }, signal }]);
    expect(calls).toEqual([{ operation: "GetQueueUrl", resourceArn: DLQ_ARN }]);
  });

  it("names no owner when the ARN has no account", async () => {
    const { client, sent } = fakeClient(() => ({ QueueUrl: DLQ_URL }));
    await deadLetterQueueUrl(client, recordingCaller().caller, "arn:aws:sqs:eu-west-1::logs-dlq");
    expect(sent.map((s) => s.input)).toStrictEqual([{ QueueName: "logs-dlq" }]);
  });

  it.each([
    ["no URL", {}],
    ["an empty URL", { QueueUrl: "" }],
  ])("is undefined when SQS answers %s", async (_name, answer) => {
    const { client } = fakeClient(() => answer);
    expect(await deadLetterQueueUrl(client, recordingCaller().caller, DLQ_ARN)).toBeUndefined();
  });

  it("is undefined, without asking SQS, for an ARN that is not a queue's", async () => {
    const { client, sent } = fakeClient(() => ({ QueueUrl: DLQ_URL }));
    const { caller, calls } = recordingCaller();
    expect(await deadLetterQueueUrl(client, caller, "arn:aws:s3:::bucket")).toBeUndefined();
    expect(sent).toEqual([]);
    expect(calls).toEqual([]);
  });
});

/** A queue with `policy` as its redrive policy (or none), its dead-letter queue's URL (null: GetQueueUrl answers none) and counts. */
function queueWithDlq(policy: string | undefined, dlqUrl: string | null = DLQ_URL) {
  return fakeClient((name, input) => {
    if (name === "GetQueueUrlCommand") return dlqUrl === null ? {} : { QueueUrl: dlqUrl };
    if (input.QueueUrl === URL) return { Attributes: definedOnly({ ...counts("10", "4", "1"), RedrivePolicy: policy || undefined }) };
    return { Attributes: counts("7", "0", "2") };
  });
}

describe("BacklogReader", () => {
  it("reads a queue without a redrive policy with one GetQueueAttributes of the backlog counts and the policy", async () => {
    const { client, sent } = queueWithDlq(undefined);
    const { caller, calls } = recordingCaller();
    const signal = new AbortController().signal;
    const got = await new BacklogReader(client, caller, URL, "eu-west-1").read(signal);
    expect(got).toStrictEqual({ queue: { visible: 10, in_flight: 4, delayed: 1 } });
    expect(sent).toEqual([{ name: "GetQueueAttributesCommand", input: { QueueUrl: URL, AttributeNames: [...BACKLOG_NAMES, "RedrivePolicy"] }, signal }]);
    expect(calls).toEqual([{ operation: "GetQueueAttributes", resourceArn: ARN }]);
  });

  it("an answer without attributes is an empty backlog", async () => {
    const { client } = fakeClient(() => ({}));
    expect(await new BacklogReader(client, recordingCaller().caller, URL, "eu-west-1").read()).toStrictEqual({
      queue: { visible: 0, in_flight: 0, delayed: 0 },
    });
  });

  it("also reads the dead-letter queue's backlog, finding its URL once", async () => {
    const { client, sent } = queueWithDlq(redrive(DLQ_ARN));
    const { caller, calls } = recordingCaller();
    const signal = new AbortController().signal;
    const reader = new BacklogReader(client, caller, URL, "eu-west-1");
    const want = { queue: { visible: 10, in_flight: 4, delayed: 1 }, deadLetter: { visible: 7, in_flight: 0, delayed: 2 } };
    expect(await reader.read(signal)).toStrictEqual(want);
    expect(sent).toEqual([
      { name: "GetQueueAttributesCommand", input: { QueueUrl: URL, AttributeNames: [...BACKLOG_NAMES, "RedrivePolicy"] }, signal },
      { name: "GetQueueUrlCommand", input: { QueueName: "logs-dlq", QueueOwnerAWSAccountId: "123456789012" }, signal },
      { name: "GetQueueAttributesCommand", input: { QueueUrl: DLQ_URL, AttributeNames: BACKLOG_NAMES }, signal },
    ]);
    expect(calls).toEqual([
      { operation: "GetQueueAttributes", resourceArn: ARN },
      { operation: "GetQueueUrl", resourceArn: DLQ_ARN },
      { operation: "GetQueueAttributes", resourceArn: DLQ_ARN },
    ]);
    // The second read does not ask for the dead-letter queue's URL again.
    expect(await reader.read(signal)).toStrictEqual(want);
    expect(sent.slice(3).map((s) => [s.name, s.input.QueueUrl])).toEqual([
      ["GetQueueAttributesCommand", URL],
      ["GetQueueAttributesCommand", DLQ_URL],
    ]);
  });

  it("looks the URL up again when the redrive policy names another dead-letter queue", async () => {
    let policy = redrive(DLQ_ARN);
    const { client, sent } = fakeClient((name, input) => {
      if (name === "GetQueueUrlCommand") return { QueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${input.QueueName}` };
      return { Attributes: input.QueueUrl === URL ? { ...counts("1", "1", "1"), RedrivePolicy: policy } : counts("2", "2", "2") };
    });
    const reader = new BacklogReader(client, recordingCaller().caller, URL, "eu-west-1");
    await reader.read();
    policy = redrive("arn:aws:sqs:eu-west-1:123456789012:other-dlq");
    expect(await reader.read()).toStrictEqual({ queue: { visible: 1, in_flight: 1, delayed: 1 }, deadLetter: { visible: 2, in_flight: 2, delayed: 2 } });
    expect(sent.filter((s) => s.name === "GetQueueUrlCommand").map((s) => s.input.QueueName)).toEqual(["logs-dlq", "other-dlq"]);
    expect(sent.at(-1)?.input.QueueUrl).toBe("https://sqs.eu-west-1.amazonaws.com/123456789012/other-dlq");
  });

  it("reads only the queue when the dead-letter queue's URL cannot be found, and asks again next time", async () => {
    const { client, sent } = queueWithDlq(redrive(DLQ_ARN), null);
    const reader = new BacklogReader(client, recordingCaller().caller, URL, "eu-west-1");
    expect(await reader.read()).toStrictEqual({ queue: { visible: 10, in_flight: 4, delayed: 1 } });
    expect(await reader.read()).toStrictEqual({ queue: { visible: 10, in_flight: 4, delayed: 1 } });
    expect(sent.map((s) => s.name)).toEqual(["GetQueueAttributesCommand", "GetQueueUrlCommand", "GetQueueAttributesCommand", "GetQueueUrlCommand"]);
  });

  it("reads only the queue when the redrive policy's target is not a queue ARN", async () => {
    const { client, sent } = queueWithDlq(redrive("not-an-arn"));
    expect(await new BacklogReader(client, recordingCaller().caller, URL, "eu-west-1").read()).toStrictEqual({
      queue: { visible: 10, in_flight: 4, delayed: 1 },
    });
    expect(sent.map((s) => s.name)).toEqual(["GetQueueAttributesCommand"]);
  });
});

describe("DeadLetterLookup", () => {
  function lookup(policy: string | undefined, dlqUrl: string | null = DLQ_URL) {
    let now = 1_000_000;
    const { client, sent } = queueWithDlq(policy, dlqUrl);
    const { caller, calls } = recordingCaller();
    const dl = new DeadLetterLookup(client, caller, URL, "eu-west-1", () => now);
    return { dl, sent, calls, advance: (ms: number) => void (now += ms) };
  }

  it("finds the dead-letter queue and its maxReceiveCount from the redrive policy", async () => {
    const t = lookup(redrive(DLQ_ARN, 4));
    const signal = new AbortController().signal;
    expect(await t.dl.find(signal)).toStrictEqual({ arn: DLQ_ARN, url: DLQ_URL, maxReceiveCount: 4 });
    expect(t.sent).toEqual([
      { name: "GetQueueAttributesCommand", input: { QueueUrl: URL, AttributeNames: ["RedrivePolicy"] }, signal },
      { name: "GetQueueUrlCommand", input: { QueueName: "logs-dlq", QueueOwnerAWSAccountId: "123456789012" }, signal },
    ]);
    expect(t.calls).toEqual([
      { operation: "GetQueueAttributes", resourceArn: ARN },
      { operation: "GetQueueUrl", resourceArn: DLQ_ARN },
    ]);
  });

  it("has no maxReceiveCount when the policy has none", async () => {
    const t = lookup(JSON.stringify({ deadLetterTargetArn: DLQ_ARN }));
    expect(await t.dl.find()).toStrictEqual({ arn: DLQ_ARN, url: DLQ_URL });
  });

  it("is undefined, without a GetQueueUrl, for a queue without a redrive policy", async () => {
    const t = lookup(undefined);
    expect(await t.dl.find()).toBeUndefined();
    expect(t.sent.map((s) => s.name)).toEqual(["GetQueueAttributesCommand"]);
  });

  it("is undefined when the dead-letter queue's URL cannot be found", async () => {
    const t = lookup(redrive(DLQ_ARN), null);
    expect(await t.dl.find()).toBeUndefined();
  });

  it("is undefined when SQS answers without attributes", async () => {
    const { client } = fakeClient(() => ({}));
    expect(await new DeadLetterLookup(client, recordingCaller().caller, URL, "eu-west-1").find()).toBeUndefined();
  });

  it.each([
    ["a dead-letter queue", redrive(DLQ_ARN), 2],
    ["no dead-letter queue", undefined, 1],
  ])("remembers %s for 5 minutes", async (_name, policy, requestsPerLookup) => {
    const t = lookup(policy);
    const first = await t.dl.find();
    t.advance(5 * 60_000 - 1);
    expect(await t.dl.find()).toStrictEqual(first);
    expect(t.sent).toHaveLength(requestsPerLookup);
    t.advance(1);
    expect(await t.dl.find()).toStrictEqual(first);
    expect(t.sent).toHaveLength(2 * requestsPerLookup);
  });

  it("does not remember a failed lookup", async () => {
    let fail = true;
    const { client, sent } = fakeClient((name) => {
      if (fail) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      return name === "GetQueueUrlCommand" ? { QueueUrl: DLQ_URL } : { Attributes: { RedrivePolicy: redrive(DLQ_ARN, 3) } };
    });
    const dl = new DeadLetterLookup(client, recordingCaller().caller, URL, "eu-west-1", () => 0);
    await expect(dl.find()).rejects.toThrow("Rate exceeded");
    fail = false;
    expect(await dl.find()).toStrictEqual({ arn: DLQ_ARN, url: DLQ_URL, maxReceiveCount: 3 });
    expect(sent.map((s) => s.name)).toEqual(["GetQueueAttributesCommand", "GetQueueAttributesCommand", "GetQueueUrlCommand"]);
  });
});
