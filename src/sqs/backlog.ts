import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { AwsCaller } from "../aws/authRetry.ts";
import { queueArn, type DeadLetterQueue } from "./sqsQueue.ts";
import { definedOnly } from "../util/optional.ts";

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
    backlog: {
      visible: n(a.ApproximateNumberOfMessages),
      in_flight: n(a.ApproximateNumberOfMessagesNotVisible),
      delayed: n(a.ApproximateNumberOfMessagesDelayed),
    },
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
    const url = await deadLetterQueueUrl(this.#client, this.#call, arn, signal);
    if (url) this.#dlq = { arn, url };
    return url;
  }
}

/** The URL of the queue an ARN names (GetQueueUrl with its owner's account), or undefined for an unusable ARN. */
export async function deadLetterQueueUrl(client: SQSClient, call: AwsCaller, arn: string, signal?: AbortSignal): Promise<string | undefined> {
  const parts = parseQueueArn(arn);
  if (!parts) return undefined;
  const out = await call({ operation: "GetQueueUrl", resourceArn: arn }, () =>
    client.send(new GetQueueUrlCommand(definedOnly({ QueueName: parts.name, QueueOwnerAWSAccountId: parts.account || undefined })), {
      abortSignal: signal,
    }),
  );
  return out.QueueUrl || undefined;
}

/** How long a queue's dead-letter queue (or its absence) is remembered: a redrive policy added later is seen within this. */
const DEAD_LETTER_CACHE_MS = 5 * 60_000;

/**
 * Finds a queue's dead-letter queue from its RedrivePolicy (GetQueueAttributes, then GetQueueUrl
 * of deadLetterTargetArn), for moving poison messages there at once. Cached per queue, answer
 * "none" included; a failed lookup is not cached (it throws, and the caller retries the message).
 */
export class DeadLetterLookup {
  readonly #client: SQSClient;
  readonly #call: AwsCaller;
  readonly #url: string;
  readonly #arn: string;
  readonly #now: () => number;
  #cached: { at: number; dlq: (DeadLetterQueue & { maxReceiveCount?: number }) | undefined } | undefined;

  constructor(client: SQSClient, caller: AwsCaller, url: string, region: string, now: () => number = Date.now) {
    this.#client = client;
    this.#call = caller;
    this.#url = url;
    this.#arn = queueArn(url, region);
    this.#now = now;
  }

  /** The dead-letter queue (and the redrive policy's maxReceiveCount), or undefined when the queue has none. */
  async find(signal?: AbortSignal): Promise<(DeadLetterQueue & { maxReceiveCount?: number }) | undefined> {
    if (this.#cached && this.#now() - this.#cached.at < DEAD_LETTER_CACHE_MS) return this.#cached.dlq;
    const out = await this.#call({ operation: "GetQueueAttributes", resourceArn: this.#arn }, () =>
      this.#client.send(new GetQueueAttributesCommand({ QueueUrl: this.#url, AttributeNames: ["RedrivePolicy"] }), { abortSignal: signal }),
    );
    const attrs = parseQueueAttributes(out.Attributes ?? {});
    const arn = attrs.deadLetterTargetArn;
    const url = arn ? await deadLetterQueueUrl(this.#client, this.#call, arn, signal) : undefined;
    const dlq = arn && url ? definedOnly({ arn, url, maxReceiveCount: attrs.maxReceiveCount || undefined }) : undefined;
    this.#cached = { at: this.#now(), dlq };
    return dlq;
  }
}
