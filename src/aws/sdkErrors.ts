/**
 * Reading an AWS SDK error (or any other) for a log line: its text with the service's code, its ECS
 * `error.type`, and whether S3 said the object is not there. Every module that logs a cause uses these.
 */
import { describeUnparsable } from "./authErrors.ts";

/** The cause's text, prefixed with the AWS error code when the SDK's message does not say it. */
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
