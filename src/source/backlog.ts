import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { AwsCaller } from "../aws/authRetry.ts";
import { queueArn } from "./sqsQueue.ts";

/** A queue's messages by state, as GetQueueAttributes reports them (approximate, as SQS says). */
export interface Backlog {
  visible: number;
  in_flight: number;
  delayed: number;
}

export interface QueueAttributes {
  backlog: Backlog;
  /** The ARN of the dead-letter queue of its redrive policy, if it has one. */
  deadLetterTargetArn?: string;
  maxReceiveCount?: number;
}

const BACKLOG_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] as const;

/** Reads GetQueueAttributes' answer; an unparsable redrive policy counts as none. */
export function parseQueueAttributes(a: Record<string, string | undefined>): QueueAttributes {
  const n = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : 0);
  const out: QueueAttributes = {
    backlog: { visible: n(a.ApproximateNumberOfMessages), in_flight: n(a.ApproximateNumberOfMessagesNotVisible), delayed: n(a.ApproximateNumberOfMessagesDelayed) },
  };
  if (a.RedrivePolicy) {
    try {
      const r = JSON.parse(a.RedrivePolicy) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
      if (typeof r.deadLetterTargetArn === "string") out.deadLetterTargetArn = r.deadLetterTargetArn;
      const max = Number(r.maxReceiveCount);
      if (Number.isFinite(max) && max > 0) out.maxReceiveCount = max;
    } catch {
      // Not ours to validate: SQS accepted it. Without it there is simply no DLQ gauge.
    }
  }
  return out;
}

/** `arn:aws:sqs:REGION:ACCOUNT:NAME` → its parts, or undefined. */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:[^:]+:sqs:([^:]*):(\d*):(.+)$/.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : undefined;
}

/** Reads a queue's backlog and, when it has one, its dead-letter queue's (one GetQueueAttributes each). */
export class BacklogReader {
  readonly #client: SQSClient;
  readonly #call: AwsCaller;
  readonly #url: string;
  readonly #arn: string;
  #dlq: { arn: string; url: string } | undefined;

  constructor(client: SQSClient, caller: AwsCaller, url: string, region: string) {
    this.#client = client;
    this.#call = caller;
    this.#url = url;
    this.#arn = queueArn(url, region);
  }

  async read(signal?: AbortSignal): Promise<{ queue: Backlog; deadLetter?: Backlog }> {
    const attrs = parseQueueAttributes(await this.#attributes(this.#url, this.#arn, [...BACKLOG_ATTRIBUTES, "RedrivePolicy"], signal));
    if (!attrs.deadLetterTargetArn) return { queue: attrs.backlog };
    const dlqUrl = await this.#dlqUrl(attrs.deadLetterTargetArn, signal);
    if (!dlqUrl) return { queue: attrs.backlog };
    const dlq = parseQueueAttributes(await this.#attributes(dlqUrl, attrs.deadLetterTargetArn, [...BACKLOG_ATTRIBUTES], signal));
    return { queue: attrs.backlog, deadLetter: dlq.backlog };
  }

  async #attributes(url: string, arn: string, names: string[], signal?: AbortSignal): Promise<Record<string, string | undefined>> {
    const out = await this.#call({ operation: "GetQueueAttributes", resourceArn: arn }, () =>
      this.#client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }), { abortSignal: signal }),
    );
    return out.Attributes ?? {};
  }

  async #dlqUrl(arn: string, signal?: AbortSignal): Promise<string | undefined> {
    if (this.#dlq?.arn === arn) return this.#dlq.url;
    const parts = parseQueueArn(arn);
    if (!parts) return undefined;
    const out = await this.#call({ operation: "GetQueueUrl", resourceArn: arn }, () =>
      this.#client.send(new GetQueueUrlCommand({ QueueName: parts.name, ...(parts.account ? { QueueOwnerAWSAccountId: parts.account } : {}) }), { abortSignal: signal }),
    );
    if (!out.QueueUrl) return undefined;
    this.#dlq = { arn, url: out.QueueUrl };
    return out.QueueUrl;
  }
}
