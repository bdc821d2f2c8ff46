/**
 * Reading an error for a log line: its text with the service's code, its ECS `error.type`, and
 * what it says (the object is not there, the call was denied). Every module that logs a cause uses
 * these; the code itself is always read by errorCode (authErrors.ts).
 */
import { describeUnparsable, errorCode, httpStatusOf } from "./authErrors.ts";

/** The cause's text, prefixed with the AWS error code when the SDK's message does not say it. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    // SDK errors carry their code in name/Code; our own errors already say everything in the message.
    if ((cause as { $metadata?: unknown }).$metadata === undefined) return cause.message;
    // An answer that was not AWS's XML/JSON: its HTTP status says more than the parser's complaint.
    const unparsable = describeUnparsable(cause);
    if (unparsable) return unparsable;
    const code = errorCode(cause);
    return code !== "Error" && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/**
 * The structured part of a logged error (ECS `error.type`): its code or class. Its text goes in the
 * log line's message only, so it appears once per line.
 */
export function errorFields(cause: unknown): { "error.type"?: string } {
  return cause instanceof Error ? { "error.type": errorCode(cause) } : {};
}

/** The call was refused for lack of permission: AWS's denied codes (S3, STS, SQS) or HTTP 403. */
export function isDenied(err: unknown): boolean {
  return /AccessDenied|NotAuthorized|AuthorizationError|Forbidden/i.test(errorCode(err)) || httpStatusOf(err) === 403;
}

/** S3 says the object is not there: retrying will not make it appear. */
export function isNoSuchKey(err: unknown): boolean {
  const code = errorCode(err);
  return code === "NoSuchKey" || (code === "NotFound" && httpStatusOf(err) === 404);
}
