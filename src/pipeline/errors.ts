import { describeUnparsable } from "../aws/authErrors.ts";

/** Where a unit of work was: every error the pipeline logs says which queue, message, bucket and key. */
export interface WorkContext {
  queue: string;
  messageId?: string;
  bucket?: string;
  key?: string;
}

/**
 * Why an object is poison: its own bytes are at fault, so every receive would fail the same way
 * at the same place (a corrupt or truncated gzip object read whole, data its decoder rejects).
 * Transient failures (network, throttling, 5xx, access denied, the output) have none.
 */
export interface Poison {
  /** What is wrong, e.g. `corrupt gzip data after 6559 compressed bytes: unexpected end of file`. */
  reason: string;
  /** Byte offset in the (decompressed) object where reading stopped. */
  offset: number;
  /** Events read before it, all shipped and acknowledged. */
  events: number;
}

/**
 * An object could not be ingested. Without `poison` the failure is transient and the message is
 * retried with backoff; with it, the message goes to the dead-letter queue (pipeline/decision.ts).
 */
export class ObjectError extends Error {
  override name = "ObjectError";
  readonly context: WorkContext;
  readonly poison: Poison | undefined;

  constructor(message: string, context: WorkContext, cause: unknown, poison?: Poison) {
    super(`${message} (s3://${context.bucket}/${context.key}, queue ${context.queue}, message ${context.messageId}): ${describeCause(cause)}`, { cause });
    this.context = context;
    this.poison = poison;
  }
}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    // SDK errors carry their code in name/Code; our own errors already say everything in the message.
    const sdk = (cause as { $metadata?: unknown }).$metadata !== undefined;
    // An answer that was not AWS's XML/JSON: its HTTP status says more than the parser's complaint.
    const unparsable = sdk ? describeUnparsable(cause) : undefined;
    if (unparsable) return unparsable;
    const code = (cause as { Code?: string }).Code ?? (cause.name !== "Error" ? cause.name : undefined);
    return sdk && code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/**
 * The structured part of a logged error (ECS `error.type`): its code or class. Its text goes in the
 * log line's message only, so it appears once per line.
 */
export function errorFields(cause: unknown): { "error.type"?: string } {
  if (!(cause instanceof Error)) return {};
  const { Code, code } = cause as { Code?: string; code?: unknown };
  return { "error.type": Code ?? (typeof code === "string" ? code : cause.name) };
}

/** S3 says the object is not there: retrying will not make it appear. */
export function isNoSuchKey(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.Code === "NoSuchKey" || (e?.name === "NotFound" && e.$metadata?.httpStatusCode === 404);
}
