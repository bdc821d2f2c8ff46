/**
 * What a queue that cannot be used at start means, and what to do: the operator sees the queue, its
 * region, the endpoint and whose credentials were used, the likely causes in order, and the command
 * that checks access step by step. Pure, so each case is table-tested.
 */
import { errorCode } from "../aws/authErrors.ts";
import { describeCause } from "../aws/sdkErrors.ts";

export interface QueueProblemContext {
  /** The `sqsQueues` entry as written. */
  entry: string;
  region: string;
  /** endpoints.sqs, or AWS's regional endpoint. */
  endpoint: string;
  /** Whose credentials: "role arn:…", "the base IAM user's keys", "the AWS default credential chain". */
  principal: string;
  /** The command that checks access, e.g. `s3beat check -c /etc/s3beat/s3beat.yml`. */
  checkCommand: string;
}

export type QueueProblemKind = "missing" | "denied" | "network" | "other";

const NETWORK_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
  "RequestTimeout",
]);
const MISSING_CODES = new Set(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue"]);
const DENIED_CODES = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "UnrecognizedClientException",
]);

/** The kind of problem; network problems (and only those) are expected to go away by themselves. */
export function queueProblemKind(err: unknown): QueueProblemKind {
  const code = errorCode(err);
  const sys = (err as { code?: unknown; cause?: { code?: unknown } })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code;
  if (NETWORK_CODES.has(code) || (typeof sys === "string" && NETWORK_CODES.has(sys))) return "network";
  if (MISSING_CODES.has(code)) return "missing";
  if (DENIED_CODES.has(code) || (err as Error)?.name === "AwsAuthError" || (err as Error)?.name === "AssumeRoleError") return "denied";
  return "other";
}

export function explainQueueProblem(err: unknown, c: QueueProblemContext): string {
  const where = `queue "${c.entry}" (region ${c.region}, endpoint ${c.endpoint}, as ${c.principal})`;
  const check = `run \`${c.checkCommand}\` to test access step by step`;
  switch (queueProblemKind(err)) {
    case "missing":
      return (
        `${where} does not exist. Likely causes: the queue name is misspelled; the queue is in another region (the part after ":" in the entry); ` +
        `it belongs to another account (give its full URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME); endpoints.sqs points elsewhere. Then ${check}.`
      );
    case "denied":
      return `${where} cannot be used: ${describeCause(err)}. Then ${check}.`;
    case "network":
      return `${where} cannot be reached: ${describeCause(err)}. Check DNS, the network path and any proxy to ${c.endpoint}, and endpoints.sqs; s3beat keeps retrying.`;
    default:
      return `${where} cannot be used: ${describeCause(err)}. Check the queue name, region, account and endpoints.sqs, then ${check}.`;
  }
}
