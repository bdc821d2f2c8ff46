import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
}

/** The SQS calls the poller needs. */
export interface MessageReceiver {
  receive(max: number, waitTimeSeconds: number, visibilityTimeoutSeconds: number, signal: AbortSignal): Promise<ReceivedMessage[]>;
}

/** The SQS calls that settle a message. */
export interface MessageSettler {
  deleteBatch(receiptHandles: { id: string; receiptHandle: string }[]): Promise<{ failed: { id: string; message: string }[] }>;
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

export async function resolveQueueUrl(client: SQSClient, name: string, signal?: AbortSignal): Promise<string> {
  const out = await client.send(new GetQueueUrlCommand({ QueueName: name }), { abortSignal: signal });
  if (!out.QueueUrl) throw new Error(`GetQueueUrl returned no URL for ${name}`);
  return out.QueueUrl;
}

/** One queue, through one SQS client (and so one set of credentials). */
export class SqsQueue implements MessageReceiver, MessageSettler {
  readonly url: string;
  readonly #client: SQSClient;

  constructor(client: SQSClient, url: string) {
    this.#client = client;
    this.url = url;
  }

  async receive(max: number, waitTimeSeconds: number, visibilityTimeoutSeconds: number, signal: AbortSignal): Promise<ReceivedMessage[]> {
    const out = await this.#client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        WaitTimeSeconds: waitTimeSeconds,
        VisibilityTimeout: visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      }),
      { abortSignal: signal },
    );
    return (out.Messages ?? []).flatMap((m) =>
      m.MessageId && m.ReceiptHandle
        ? [
            {
              messageId: m.MessageId,
              receiptHandle: m.ReceiptHandle,
              body: m.Body ?? "",
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1") || 1,
            },
          ]
        : [],
    );
  }

  async deleteBatch(entries: { id: string; receiptHandle: string }[]): Promise<{ failed: { id: string; message: string }[] }> {
    const out = await this.#client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.url,
        Entries: entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle })),
      }),
    );
    return { failed: (out.Failed ?? []).map((f) => ({ id: f.Id ?? "", message: `${f.Code}: ${f.Message}` })) };
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.#client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.url, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  }
}
