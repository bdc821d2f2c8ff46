import { DeleteBatcher } from "./deleteBatcher.ts";
import type { SettleCalls } from "./sqsQueue.ts";

/**
 * How the pipeline ends or defers a message it received: the one interface it settles through, so
 * its tests fake two methods instead of SQS's batch shapes.
 */
export interface MessageSettler {
  /** Resolves once SQS confirmed the delete; rejects with SQS's reason otherwise. */
  delete(receiptHandle: string): Promise<void>;
  /** Hides the message for `seconds` more (0 gives it back at once). */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

/** A queue's settler: deletes grouped into DeleteMessageBatch calls, visibility changes sent as they come. */
export function queueSettler(calls: SettleCalls, deletes: DeleteBatcher = new DeleteBatcher(calls)): MessageSettler {
  return {
    delete: (receiptHandle) => deletes.delete(receiptHandle),
    changeVisibility: (receiptHandle, seconds) => calls.changeVisibility(receiptHandle, seconds),
  };
}
