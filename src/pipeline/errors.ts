import { describeCause } from "../aws/sdkErrors.ts";

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
