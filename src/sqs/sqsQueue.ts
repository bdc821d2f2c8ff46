import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { AwsCaller } from "../aws/authRetry.ts";
import { definedOnly } from "../util/optional.ts";

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
  /** When the message was sent to the queue (Unix ms), if SQS said. */
  sentAtMs?: number;
}

/** The SQS call the poller needs: a long poll for up to `max` messages (the queue knows its wait and visibility). */
export interface MessageReceiver {
  receive(max: number, signal: AbortSignal): Promise<ReceivedMessage[]>;
}

/** How a queue's receives are made, fixed for the queue's life. */
export interface ReceiveOptions {
  /** The long poll's wait (s3beat.waitTimeSeconds). */
  waitTimeSeconds: number;
  /** Visibility asked for on receive; the message handler extends it while it works (pipeline/visibility.ts). */
  visibilitySeconds: number;
}

/** The SQS calls that settle messages (the pipeline settles through settler.ts, which batches the deletes). */
export interface SettleCalls {
  deleteBatch(receiptHandles: { id: string; receiptHandle: string }[]): Promise<{ failed: { id: string; message: string }[] }>;
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

/** A queue's dead-letter queue, from its RedrivePolicy (see DeadLetterLookup in backlog.ts). */
export interface DeadLetterQueue {
  arn: string;
  url: string;
}

/** SendMessage to a dead-letter queue: how s3beat moves a poison message there at once. */
export interface DeadLetterSender {
  /**
   * Sends `body` (the original message's, unchanged) with string message attributes. `dedupId`
   * (the original message id) is used only when the dead-letter queue is FIFO. Needs
   * sqs:SendMessage on the dead-letter queue.
   */
  sendToDeadLetter(dlq: DeadLetterQueue, body: string, attributes: Record<string, string>, dedupId: string): Promise<void>;
}

/** The ARN IAM policies name a queue by, from its URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME). */
export function queueArn(url: string, region: string): string {
  const [account, name] = new URL(url).pathname.split("/").filter(Boolean).slice(-2);
  return `arn:aws:sqs:${region}:${account ?? "*"}:${name ?? "*"}`;
}

export async function resolveQueueUrl(client: SQSClient, name: string, region: string, caller: AwsCaller, signal?: AbortSignal): Promise<string> {
  const out = await caller({ operation: "GetQueueUrl", resourceArn: `arn:aws:sqs:${region}:*:${name}` }, () =>
    client.send(new GetQueueUrlCommand({ QueueName: name }), { abortSignal: signal }),
  );
  if (!out.QueueUrl) throw new Error(`GetQueueUrl returned no URL for ${name}`);
  return out.QueueUrl;
}

/** One queue, through one SQS client (and so one set of credentials, with their auth policy). */
export class SqsQueue implements MessageReceiver, SettleCalls, DeadLetterSender {
  readonly url: string;
  readonly arn: string;
  readonly #client: SQSClient;
  readonly #call: AwsCaller;
  readonly #receive: ReceiveOptions;

  constructor(client: SQSClient, url: string, region: string, caller: AwsCaller, receive: ReceiveOptions) {
    this.#client = client;
    this.url = url;
    this.arn = queueArn(url, region);
    this.#call = caller;
    this.#receive = receive;
  }

  async receive(max: number, signal: AbortSignal): Promise<ReceivedMessage[]> {
    const out = await this.#call({ operation: "ReceiveMessage", resourceArn: this.arn }, () =>
      this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
          WaitTimeSeconds: this.#receive.waitTimeSeconds,
          VisibilityTimeout: this.#receive.visibilitySeconds,
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
        }),
        { abortSignal: signal },
      ),
    );
    return (out.Messages ?? []).flatMap((m) =>
      m.MessageId && m.ReceiptHandle
        ? [
            {
              messageId: m.MessageId,
              receiptHandle: m.ReceiptHandle,
              body: m.Body ?? "",
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1") || 1,
              ...definedOnly({ sentAtMs: m.Attributes?.SentTimestamp ? Number(m.Attributes.SentTimestamp) : undefined }),
            },
          ]
        : [],
    );
  }

  async deleteBatch(entries: { id: string; receiptHandle: string }[]): Promise<{ failed: { id: string; message: string }[] }> {
    const out = await this.#call({ operation: "DeleteMessageBatch", resourceArn: this.arn }, () =>
      this.#client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.url,
          Entries: entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle })),
        }),
      ),
    );
    return { failed: (out.Failed ?? []).map((f) => ({ id: f.Id ?? "", message: `${f.Code}: ${f.Message}` })) };
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.#call({ operation: "ChangeMessageVisibility", resourceArn: this.arn }, () =>
      this.#client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds })),
    );
  }

  /** Through this queue's client: SQS requires a dead-letter queue in the queue's account and region. */
  async sendToDeadLetter(dlq: DeadLetterQueue, body: string, attributes: Record<string, string>, dedupId: string): Promise<void> {
    const fifo = dlq.arn.endsWith(".fifo") ? { MessageGroupId: "s3beat-poison", MessageDeduplicationId: dedupId.slice(0, 128) } : {};
    await this.#call({ operation: "SendMessage", resourceArn: dlq.arn }, () =>
      this.#client.send(
        new SendMessageCommand({
          QueueUrl: dlq.url,
          MessageBody: body,
          MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }])),
          ...fifo,
        }),
      ),
    );
  }
}
