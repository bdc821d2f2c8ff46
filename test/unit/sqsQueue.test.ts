/**
 * SqsQueue and the queue settler against a fake SQS client that records the commands it is sent:
 * the request shapes are SQS's API (the AWS reference), the answers are what SQS returns.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import type { AwsCaller } from "../../src/aws/authRetry.ts";
import { queueSettler } from "../../src/sqs/settler.ts";
import { SqsQueue, queueArn, resolveQueueUrl } from "../../src/sqs/sqsQueue.ts";

const URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/logs-queue";

function fakeClient(answer: (command: unknown) => unknown) {
  const sent: unknown[] = [];
  const client = { send: async (command: unknown) => (sent.push(command), answer(command)) } as unknown as SQSClient;
  return { client, sent };
}

/** A caller that records the operation and resource each call is made for. */
function recordingCaller() {
  const calls: { operation: string; resourceArn: string }[] = [];
  const caller: AwsCaller = (ctx, call) => (calls.push({ operation: ctx.operation, resourceArn: ctx.resourceArn }), call());
  return { caller, calls };
}

const receiveOptions = { waitTimeSeconds: 20, visibilitySeconds: 30 };

describe("queueArn", () => {
  it.each([
    [URL, "eu-west-1", "arn:aws:sqs:eu-west-1:123456789012:logs-queue"],
    ["http://127.0.0.1:4566/000000000000/q.fifo", "us-east-1", "arn:aws:sqs:us-east-1:000000000000:q.fifo"],
  ])("%s in %s → %s", (url, region, want) => {
    expect(queueArn(url, region)).toBe(want);
  });
});

describe("SqsQueue.receive", () => {
  it("asks with the queue's wait and visibility, at most 10 and at least 1, and reads the receive count and send time", async () => {
    const { client, sent } = fakeClient(() => ({
      Messages: [
        { MessageId: "m1", ReceiptHandle: "r1", Body: "{}", Attributes: { ApproximateReceiveCount: "3", SentTimestamp: "1700000000123" } },
        { MessageId: "m2", ReceiptHandle: "r2" }, // no body, no attributes
        { MessageId: "m3" }, // no receipt handle: cannot be settled, so not handed out
      ],
    }));
    const { caller, calls } = recordingCaller();
    const q = new SqsQueue(client, URL, "eu-west-1", caller, receiveOptions);
    const got = await q.receive(25, new AbortController().signal);
    expect(got).toEqual([
      { messageId: "m1", receiptHandle: "r1", body: "{}", receiveCount: 3, sentAtMs: 1_700_000_000_123 },
      { messageId: "m2", receiptHandle: "r2", body: "", receiveCount: 1 },
    ]);
    const command = sent[0] as ReceiveMessageCommand;
    expect(command).toBeInstanceOf(ReceiveMessageCommand);
    expect(command.input).toMatchObject({ QueueUrl: URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 20, VisibilityTimeout: 30 });
    expect(command.input.MessageSystemAttributeNames).toEqual(expect.arrayContaining(["ApproximateReceiveCount", "SentTimestamp"]));
    expect(calls).toEqual([{ operation: "ReceiveMessage", resourceArn: "arn:aws:sqs:eu-west-1:123456789012:logs-queue" }]);
    await q.receive(0, new AbortController().signal);
    expect((sent[1] as ReceiveMessageCommand).input.MaxNumberOfMessages).toBe(1);
  });

  it("an empty answer is no messages", async () => {
    const q = new SqsQueue(fakeClient(() => ({})).client, URL, "eu-west-1", recordingCaller().caller, receiveOptions);
    expect(await q.receive(10, new AbortController().signal)).toEqual([]);
  });
});

describe("SqsQueue settling calls", () => {
  it("deleteBatch sends the entries and reports SQS's per-entry failures with code and message", async () => {
    const { client, sent } = fakeClient(() => ({ Failed: [{ Id: "b", Code: "ReceiptHandleIsInvalid", Message: "The receipt handle is invalid." }] }));
    const { caller, calls } = recordingCaller();
    const q = new SqsQueue(client, URL, "eu-west-1", caller, receiveOptions);
    const out = await q.deleteBatch([
      { id: "a", receiptHandle: "r1" },
      { id: "b", receiptHandle: "r2" },
    ]);
    expect(out).toEqual({ failed: [{ id: "b", message: "ReceiptHandleIsInvalid: The receipt handle is invalid." }] });
    const command = sent[0] as DeleteMessageBatchCommand;
    expect(command).toBeInstanceOf(DeleteMessageBatchCommand);
    expect(command.input).toEqual({
      QueueUrl: URL,
      Entries: [
        { Id: "a", ReceiptHandle: "r1" },
        { Id: "b", ReceiptHandle: "r2" },
      ],
    });
    expect(calls[0]?.operation).toBe("DeleteMessageBatch");
  });

  it("changeVisibility sends the receipt handle and the seconds", async () => {
    const { client, sent } = fakeClient(() => ({}));
    const q = new SqsQueue(client, URL, "eu-west-1", recordingCaller().caller, receiveOptions);
    await q.changeVisibility("r9", 0);
    expect(sent[0]).toBeInstanceOf(ChangeMessageVisibilityCommand);
    expect((sent[0] as ChangeMessageVisibilityCommand).input).toEqual({ QueueUrl: URL, ReceiptHandle: "r9", VisibilityTimeout: 0 });
  });

  it.each([
    ["a standard dead-letter queue: no FIFO fields", "arn:aws:sqs:eu-west-1:123456789012:dlq", {}],
    [
      "a FIFO dead-letter queue: a group and the original id as deduplication id",
      "arn:aws:sqs:eu-west-1:123456789012:dlq.fifo",
      { MessageGroupId: "s3beat-poison", MessageDeduplicationId: "msg-1" },
    ],
  ])("sendToDeadLetter to %s", async (_name, arn, fifo) => {
    const { client, sent } = fakeClient(() => ({}));
    const { caller, calls } = recordingCaller();
    const q = new SqsQueue(client, URL, "eu-west-1", caller, receiveOptions);
    await q.sendToDeadLetter({ arn, url: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq" }, '{"Records":[]}', { reason: "corrupt gzip" }, "msg-1");
    const command = sent[0] as SendMessageCommand;
    expect(command).toBeInstanceOf(SendMessageCommand);
    expect(command.input).toEqual({
      QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq",
      MessageBody: '{"Records":[]}',
      MessageAttributes: { reason: { DataType: "String", StringValue: "corrupt gzip" } },
      ...fifo,
    });
    expect(calls).toEqual([{ operation: "SendMessage", resourceArn: arn }]);
  });
});

describe("queueSettler", () => {
  it("deletes through the batcher (one DeleteMessageBatch for those waiting) and changes visibility directly", async () => {
    const batches: string[][] = [];
    const visibility: [string, number][] = [];
    const settler = queueSettler({
      deleteBatch: async (entries) => (batches.push(entries.map((e) => e.receiptHandle)), { failed: [] }),
      changeVisibility: async (handle, seconds) => void visibility.push([handle, seconds]),
    });
    await Promise.all(["r1", "r2", "r3"].map((r) => settler.delete(r)));
    expect(batches).toEqual([["r1", "r2", "r3"]]);
    await settler.changeVisibility("r4", 60);
    expect(visibility).toEqual([["r4", 60]]);
  });

  it("a delete SQS refused rejects with its reason", async () => {
    const settler = queueSettler({
      deleteBatch: async (entries) => ({ failed: entries.map((e) => ({ id: e.id, message: "ReceiptHandleIsInvalid: gone" })) }),
      changeVisibility: async () => undefined,
    });
    await expect(settler.delete("r1")).rejects.toThrow(/ReceiptHandleIsInvalid: gone/);
  });
});

/** A fake client that also records the abort signal each command is sent with. */
function signalClient(answer: (command: unknown) => unknown) {
  const sent: { command: unknown; signal: AbortSignal | undefined }[] = [];
  const client = {
    send: async (command: unknown, options?: { abortSignal?: AbortSignal }) => (sent.push({ command, signal: options?.abortSignal }), answer(command)),
  } as unknown as SQSClient;
  return { client, sent };
}

describe("queueArn of unusual URLs", () => {
  it.each([
    ["https://sqs.eu-west-1.amazonaws.com/", "arn:aws:sqs:eu-west-1:*:*"],
    ["https://sqs.eu-west-1.amazonaws.com/only-name", "arn:aws:sqs:eu-west-1:only-name:*"],
    ["https://proxy.example/sqs/123456789012/q/", "arn:aws:sqs:eu-west-1:123456789012:q"],
    ["https://sqs.eu-west-1.amazonaws.com//123456789012//q", "arn:aws:sqs:eu-west-1:123456789012:q"],
  ])("%s → %s", (url, want) => {
    expect(queueArn(url, "eu-west-1")).toBe(want);
  });
});

describe("resolveQueueUrl", () => {
  it("asks GetQueueUrl for the name, for the name's ARN in any account, with the signal", async () => {
    const { client, sent } = signalClient(() => ({ QueueUrl: URL }));
    const { caller, calls } = recordingCaller();
    const signal = new AbortController().signal;
    expect(await resolveQueueUrl(client, "logs-queue", "eu-west-1", caller, signal)).toBe(URL);
    expect(sent[0]?.command).toBeInstanceOf(GetQueueUrlCommand);
    expect((sent[0]!.command as GetQueueUrlCommand).input).toEqual({ QueueName: "logs-queue" });
    expect(sent[0]?.signal).toBe(signal);
    expect(calls).toEqual([{ operation: "GetQueueUrl", resourceArn: "arn:aws:sqs:eu-west-1:*:logs-queue" }]);
  });

  it.each([
    ["no URL", {}],
    ["an empty URL", { QueueUrl: "" }],
  ])("fails, naming the queue, when SQS answers %s", async (_name, answer) => {
    const { client } = signalClient(() => answer);
    await expect(resolveQueueUrl(client, "logs-queue", "eu-west-1", recordingCaller().caller)).rejects.toThrow("GetQueueUrl returned no URL for logs-queue");
  });
});

describe("SqsQueue: more of SQS's answers", () => {
  it("receives with the signal, and reads a missing, zero or unparsable receive count as 1", async () => {
    const { client, sent } = signalClient(() => ({
      Messages: [
        { MessageId: "m1", ReceiptHandle: "r1", Body: "a", Attributes: { ApproximateReceiveCount: "abc" } },
        { MessageId: "m2", ReceiptHandle: "r2", Body: "b", Attributes: { ApproximateReceiveCount: "0", SentTimestamp: "" } },
        { MessageId: "m3", ReceiptHandle: "r3", Body: "c", Attributes: { SentTimestamp: "5" } },
        { ReceiptHandle: "r4", Body: "no id" },
      ],
    }));
    const q = new SqsQueue(client, URL, "eu-west-1", recordingCaller().caller, receiveOptions);
    const signal = new AbortController().signal;
    expect(await q.receive(3, signal)).toStrictEqual([
      { messageId: "m1", receiptHandle: "r1", body: "a", receiveCount: 1 },
      { messageId: "m2", receiptHandle: "r2", body: "b", receiveCount: 1 },
      { messageId: "m3", receiptHandle: "r3", body: "c", receiveCount: 1, sentAtMs: 5 },
    ]);
    expect(sent[0]?.signal).toBe(signal);
    expect((sent[0]!.command as ReceiveMessageCommand).input.MaxNumberOfMessages).toBe(3);
    expect((sent[0]!.command as ReceiveMessageCommand).input.MessageSystemAttributeNames).toEqual(["ApproximateReceiveCount", "SentTimestamp"]);
  });

  it("deleteBatch: no failures is none, and a failure without an id keeps an empty id", async () => {
    const none = new SqsQueue(fakeClient(() => ({})).client, URL, "eu-west-1", recordingCaller().caller, receiveOptions);
    expect(await none.deleteBatch([{ id: "a", receiptHandle: "r1" }])).toEqual({ failed: [] });
    const { client } = fakeClient(() => ({ Failed: [{ Code: "InternalError", Message: "try again" }] }));
    const q = new SqsQueue(client, URL, "eu-west-1", recordingCaller().caller, receiveOptions);
    expect(await q.deleteBatch([{ id: "a", receiptHandle: "r1" }])).toEqual({ failed: [{ id: "", message: "InternalError: try again" }] });
  });

  it("changeVisibility is made for the queue's ARN", async () => {
    const { caller, calls } = recordingCaller();
    const q = new SqsQueue(fakeClient(() => ({})).client, URL, "eu-west-1", caller, receiveOptions);
    await q.changeVisibility("r1", 45);
    expect(calls).toEqual([{ operation: "ChangeMessageVisibility", resourceArn: "arn:aws:sqs:eu-west-1:123456789012:logs-queue" }]);
    expect(calls).toHaveLength(1);
    expect(q.url).toBe(URL);
    expect(q.arn).toBe("arn:aws:sqs:eu-west-1:123456789012:logs-queue");
  });

  it("sendToDeadLetter to a FIFO queue cuts the deduplication id to SQS's 128 characters, and sends every attribute", async () => {
    const { client, sent } = fakeClient(() => ({}));
    const q = new SqsQueue(client, URL, "eu-west-1", recordingCaller().caller, receiveOptions);
    const longId = "x".repeat(200);
    await q.sendToDeadLetter({ arn: "arn:aws:sqs:eu-west-1:123456789012:dlq.fifo", url: "https://dlq" }, "body", { reason: "r", source: "s" }, longId);
    const input = (sent[0] as SendMessageCommand).input;
    expect(input.MessageDeduplicationId).toBe("x".repeat(128));
    expect(input.MessageAttributes).toEqual({ reason: { DataType: "String", StringValue: "r" }, source: { DataType: "String", StringValue: "s" } });
  });

  it("sendToDeadLetter to a queue whose name only contains fifo is not FIFO", async () => {
    const { client, sent } = fakeClient(() => ({}));
    const q = new SqsQueue(client, URL, "eu-west-1", recordingCaller().caller, receiveOptions);
    await q.sendToDeadLetter({ arn: "arn:aws:sqs:eu-west-1:123456789012:fifo-dlq", url: "https://dlq" }, "body", {}, "id");
    expect((sent[0] as SendMessageCommand).input).toStrictEqual({ QueueUrl: "https://dlq", MessageBody: "body", MessageAttributes: {} });
  });
});
