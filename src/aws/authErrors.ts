// Over 300 lines: one table of AWS failures and their fixes (DESIGN §5); the explanations share their wording helpers.
/**
 * Turns AWS failures into messages that name the cause and the fix (DESIGN §5). Pure: the
 * mapping is table-tested without any service. Every explained message carries a ` Fix: ` part.
 */
import { formatDuration } from "../config/units.ts";

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

/**
 * The code of an error: the one reader of it (sdkErrors.ts builds log text and fields on it). AWS's
 * code for an SDK error (`Code`, else the modeled error's `name`), Node's `code` (ECONNRESET) for
 * an error named just `Error`, else the class name; `Error` when there is nothing better.
 */
export function errorCode(err: unknown): string {
  // Explained here already: they keep the AWS code (NoSuchBucket, AccessDenied…) for callers that sort by it.
  if (err instanceof AwsServiceError || err instanceof AwsAuthError) return err.code;
  const e = err as SdkErrorShape;
  // S3 answers HEAD requests without a body, so the SDK cannot tell the code: the status says it.
  if ((e?.name === "Unknown" || e?.name === "UnknownError") && e.Code === undefined) {
    const status = e.$metadata?.httpStatusCode;
    if (status === 403) return "AccessDenied";
    if (status === 404) return "NotFound";
    if (status === 301) return "PermanentRedirect";
  }
  if (typeof e?.Code === "string" && e.Code !== "") return e.Code;
  if (typeof e?.name === "string" && e.name !== "Error") return e.name;
  return typeof e?.code === "string" ? e.code : "Error";
}

/** The HTTP status of the answer behind an SDK error, if there was an answer. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as SdkErrorShape;
  const status = e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * The HTTP status of an answer the SDK could not read as AWS's XML/JSON (an HTML page from a proxy,
 * a firewall or a wrong endpoint); undefined when the answer was AWS's own. Two shapes reach us:
 * the parser's own error (a SyntaxError for a JSON protocol; the SDK then hangs `$response` on it
 * but no `$fault`), or a service exception without any error code (an XML protocol read the page
 * and found no `<Code>`). A HEAD answer has no body by design: there the status is AWS's answer,
 * unless the content type says the answer was a page.
 */
export function unparsableStatus(err: unknown, operation?: string): number | undefined {
  const e = err as SdkErrorShape;
  const status = httpStatusOf(err);
  if (status === undefined || e.$response === undefined) return undefined;
  // A network failure while the body was read also lands here: that is no page, keep the SDK's error.
  if (e.$fault === undefined) return typeof e.code !== "string" && e.name !== "AbortError" && e.name !== "TimeoutError" ? status : undefined;
  const noCode = e.Code === undefined && (e.name === "Unknown" || e.name === "UnknownError" || e.message === "UnknownError" || e.message === "Unknown");
  if (!noCode) return undefined;
  const headers = e.$response.headers ?? {};
  const type = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  if (type !== undefined && !/xml|json/i.test(type)) return status;
  return operation !== undefined && !operation.startsWith("Head") ? status : undefined;
}

const TOKEN_CODES = new Set(["ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired", "RequestExpired"]);
const KEY_CODES = new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature", "UnrecognizedClientException"]);
const DENIED_CODES = new Set(["AccessDenied", "AccessDeniedException", "AllAccessDisabled"]);
const NO_BUCKET_CODES = new Set(["NoSuchBucket"]);
const NO_QUEUE_CODES = new Set(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"]);

/** An answer that temporary credentials are expired or invalid: a refresh may fix it. */
export function isTokenError(err: unknown): boolean {
  return TOKEN_CODES.has(errorCode(err)) || errorCode(err) === "InvalidClientTokenId";
}

const CLOCK_HINT = "check that the system clock is in sync (NTP)";
const KEYS_FIX = "rotate or update the base keys (accessKeyID/secretAccessKey, e.g. S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY) and " + CLOCK_HINT;
/** The code given to an answer that was not AWS's (other than a 403). */
export const UNPARSABLE = "UnparsableResponse";
const NOT_AWS = "the answer was not AWS's XML/JSON: a proxy or a wrong endpoint?";

/** What to check when an answer was not AWS's: the endpoint setting of the service and what sits in between. */
function endpointFix(service: string): string {
  return `check endpoints.${service} (leave it unset for AWS's own endpoint) and any proxy or firewall between s3beat and AWS`;
}

export interface AssumeRoleContext {
  roleArn: string;
  externalId?: string;
  durationSeconds: number;
  /** The STS endpoint in use, when not AWS's own. */
  stsEndpoint?: string;
}

/**
 * The causes of an AccessDenied on sts:AssumeRole, most likely first, and their fix. STS gives the
 * same answer for all of them (a role that does not exist included), so all are listed.
 */
function assumeRoleDeniedText(role: AssumeRoleContext, caller: string | undefined): string {
  const user = caller ? `the base user (${caller})` : "the base user";
  const ext = role.externalId
    ? "the configured externalId does not match the sts:ExternalId condition of the role's trust policy"
    : "the role's trust policy may require an ExternalId (an sts:ExternalId condition), and externalId is not set";
  const extFix = role.externalId
    ? "make externalId equal the trust policy's sts:ExternalId value"
    : "if the trust policy has an sts:ExternalId condition, set externalId to its value";
  return (
    `Causes, most likely first: (1) the role ARN is mistyped or the role does not exist; ` +
    `(2) the base user's own IAM policy lacks "sts:AssumeRole" on "${role.roleArn}"; ` +
    `(3) the role's trust policy does not name ${user} or its account as Principal; (4) ${ext}. ` +
    `Fix: compare roleArn with the role's ARN in IAM; allow "sts:AssumeRole" on "${role.roleArn}" in the base user's policy; ` +
    `check the role's trust policy principal (it must name the base user or its account); ${extFix}.`
  );
}

/** Why sts:AssumeRole failed, and what the operator should change. */
export function explainAssumeRoleFailure(code: string, serviceMessage: string, role: AssumeRoleContext): string {
  const head = `sts:AssumeRole on ${role.roleArn} failed (${code})`;
  if (DENIED_CODES.has(code)) {
    const caller = /^User: (\S+) is not authorized/.exec(serviceMessage)?.[1];
    return `${head}: the base credentials may not assume this role. ${assumeRoleDeniedText(role, caller)}`;
  }
  if (KEY_CODES.has(code)) {
    return `${head}: STS rejected the base credentials: the keys are wrong, disabled or deleted, or the clock is skewed. Fix: ${KEYS_FIX}.`;
  }
  if (code === "ValidationError" && /MaxSessionDuration/i.test(serviceMessage)) {
    return `${head}: sessionDuration (${formatDuration(role.durationSeconds)}) exceeds the role's MaxSessionDuration. Fix: lower sessionDuration or raise the role's maximum session duration in IAM.`;
  }
  if (TOKEN_CODES.has(code)) {
    return `${head}: the base credentials are temporary and have expired. Fix: supply fresh base credentials, and ${CLOCK_HINT}.`;
  }
  if (code === "RegionDisabledException") {
    return `${head}: STS is not activated in this region. Fix: activate it in IAM (account settings) or set endpoints.sts to an active region.`;
  }
  return `${head}: ${firstLine(serviceMessage)}. Fix: check that STS${role.stsEndpoint ? ` at ${role.stsEndpoint}` : ""} is reachable (endpoints.sts, network, proxy), then try again.`;
}

/** Explains a failed sts:AssumeRole from the SDK's error, including answers that were not STS's XML. */
export function explainAssumeRoleError(err: unknown, role: AssumeRoleContext): { code: string; message: string } {
  const status = unparsableStatus(err, "AssumeRole");
  if (status === 403) {
    return {
      code: "AccessDenied",
      message: `AccessDenied on sts:AssumeRole ${role.roleArn} (HTTP 403, unparsable body: a proxy or firewall may have refused it). ${assumeRoleDeniedText(role, undefined)}`,
    };
  }
  if (status !== undefined) {
    return { code: UNPARSABLE, message: `AssumeRole failed with HTTP ${status} (${NOT_AWS}) for ${role.roleArn}. Fix: ${endpointFix("sts")}.` };
  }
  const code = errorCode(err);
  return { code, message: explainAssumeRoleFailure(code, (err as Error)?.message ?? String(err), role) };
}

/** The IAM action an SDK operation needs. */
export const IAM_ACTION: Readonly<Record<string, string>> = {
  GetObject: "s3:GetObject",
  HeadObject: "s3:GetObject",
  HeadBucket: "s3:ListBucket",
  ListObjectsV2: "s3:ListBucket",
  PutObject: "s3:PutObject",
  CopyObject: "s3:PutObject",
  DeleteObject: "s3:DeleteObject",
  ReceiveMessage: "sqs:ReceiveMessage",
  SendMessage: "sqs:SendMessage",
  DeleteMessage: "sqs:DeleteMessage",
  DeleteMessageBatch: "sqs:DeleteMessage",
  ChangeMessageVisibility: "sqs:ChangeMessageVisibility",
  ChangeMessageVisibilityBatch: "sqs:ChangeMessageVisibility",
  GetQueueUrl: "sqs:GetQueueUrl",
  GetQueueAttributes: "sqs:GetQueueAttributes",
};

export interface CallContext {
  /** The SDK operation, e.g. GetObject, ReceiveMessage. */
  operation: string;
  /** The ARN the operation acts on, e.g. arn:aws:s3:::bucket/key. */
  resourceArn: string;
  /** The role whose temporary credentials made the call; undefined for base credentials. */
  roleArn?: string;
}

/** The action named in messages: HeadBucket has no IAM action of its own, it needs s3:ListBucket. */
function actionOf(operation: string): { action: string; label: string } {
  const action = IAM_ACTION[operation] ?? operation;
  return { action, label: operation === "HeadBucket" ? `${action} (the permission s3:HeadBucket needs)` : action };
}

function serviceOf(ctx: CallContext): string {
  const m = /^arn:[^:]+:(s3|sqs):/.exec(ctx.resourceArn) ?? /^(s3|sqs):/.exec(IAM_ACTION[ctx.operation] ?? "");
  return m?.[1] ?? "s3";
}

function deniedText(ctx: CallContext): { who: string; fix: string; action: string; label: string } {
  const { action, label } = actionOf(ctx.operation);
  const who = ctx.roleArn ? `role ${ctx.roleArn} is` : "the base credentials are";
  const policy = ctx.roleArn ? `the policy of role ${ctx.roleArn}` : "the base user's policy";
  const extra = ctx.resourceArn.startsWith("arn:aws:s3") ? " (and check that the bucket policy and any KMS key policy allow it too)" : "";
  return { who, action, label, fix: `allow "${action}" on "${ctx.resourceArn}" in ${policy}${extra}` };
}

/**
 * Explains an S3/SQS auth failure, or returns undefined when the error is not about auth (the
 * caller keeps the SDK's own error then).
 */
export function explainServiceAuthError(code: string, ctx: CallContext): string | undefined {
  const head = `${ctx.operation} on ${ctx.resourceArn} failed (${code})`;
  if (DENIED_CODES.has(code)) {
    const d = deniedText(ctx);
    return `${head}: ${d.who} not allowed to ${d.label} on ${ctx.resourceArn}. Fix: ${d.fix}.`;
  }
  if (TOKEN_CODES.has(code) || (ctx.roleArn && code === "InvalidClientTokenId")) {
    return ctx.roleArn
      ? `${head}: the temporary credentials of ${ctx.roleArn} are expired or invalid. They are refreshed automatically unless disableAuthRetry is true. Fix: if this repeats, ${CLOCK_HINT}.`
      : `${head}: the credentials are expired. Fix: supply fresh credentials, and ${CLOCK_HINT}.`;
  }
  if (KEY_CODES.has(code)) return `${head}: the access keys were rejected. Fix: ${KEYS_FIX}.`;
  return undefined;
}

/** Says that the bucket or queue an operation names does not exist; undefined for other codes. */
export function explainMissingResource(code: string, ctx: CallContext): string | undefined {
  const head = `${ctx.operation} on ${ctx.resourceArn} failed (${code})`;
  const s3 = /^arn:[^:]+:s3:::([^/]+)/.exec(ctx.resourceArn);
  if (s3 && (NO_BUCKET_CODES.has(code) || (code === "NotFound" && ctx.operation === "HeadBucket"))) {
    return `${head}: bucket "${s3[1]}" does not exist. Fix: check the bucket name, and that the bucket is in the account and region you expect.`;
  }
  const sqs = /^arn:[^:]+:sqs:([^:]*):([^:]*):(.+)$/.exec(ctx.resourceArn);
  if (sqs && NO_QUEUE_CODES.has(code)) {
    const whose = ctx.roleArn ? `the account of role ${ctx.roleArn}` : "the account of the base credentials";
    return `${head}: queue "${sqs[3]}" does not exist in ${sqs[1]} for these credentials. Fix: check the queue name and region in sqsQueues, and that the queue is in ${whose}.`;
  }
  return undefined;
}

/** An explained S3/SQS failure: `auth` when credentials or permissions are the cause. */
export interface ServiceExplanation {
  code: string;
  message: string;
  auth: boolean;
}

/**
 * Explains an S3/SQS failure the operator can act on: an answer that was not AWS's (by its HTTP
 * status), an auth failure, a missing bucket or queue. Undefined for anything else.
 */
export function explainServiceError(err: unknown, ctx: CallContext): ServiceExplanation | undefined {
  const status = unparsableStatus(err, ctx.operation);
  if (status === 403) {
    const d = deniedText(ctx);
    return {
      code: "AccessDenied",
      auth: true,
      message:
        `${ctx.operation} on ${ctx.resourceArn} failed: AccessDenied on ${d.action} ${ctx.resourceArn} (HTTP 403, unparsable body): ` +
        `${d.who} not allowed to ${d.label}, or a proxy or firewall between s3beat and AWS refused the request. ` +
        `Fix: ${d.fix}; if a proxy answered (the answer was not AWS's XML/JSON), let the request through or ${endpointFix(serviceOf(ctx))}.`,
    };
  }
  if (status !== undefined) {
    return {
      code: UNPARSABLE,
      auth: false,
      message: `${ctx.operation} failed with HTTP ${status} (${NOT_AWS}) for ${ctx.resourceArn}. Fix: ${endpointFix(serviceOf(ctx))}.`,
    };
  }
  const code = errorCode(err);
  const auth = explainServiceAuthError(code, ctx);
  if (auth) return { code, message: auth, auth: true };
  const missing = explainMissingResource(code, ctx);
  return missing ? { code, message: missing, auth: false } : undefined;
}

/**
 * For an error no operation context reached: says an answer that was not AWS's XML/JSON by its
 * status instead of the parser's complaint (`SyntaxError: Unexpected token '<'`). Undefined otherwise.
 */
export function describeUnparsable(err: unknown): string | undefined {
  const status = unparsableStatus(err);
  if (status === undefined) return undefined;
  return status === 403 ? `AccessDenied (HTTP 403, unparsable body: ${NOT_AWS})` : `AWS call failed with HTTP ${status} (${NOT_AWS})`;
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.replace(/\.$/, "");
}

/** sts:AssumeRole failed; the message already says why and what to do. */
export class AssumeRoleError extends Error {
  override name = "AssumeRoleError";
  readonly code: string;
  readonly roleArn: string;
  constructor(role: AssumeRoleContext, cause: unknown) {
    const { code, message } = explainAssumeRoleError(cause, role);
    super(message, { cause });
    this.code = code;
    this.roleArn = role.roleArn;
  }
}

/** An S3/SQS call was refused for an auth reason; the message says which action on which resource, and the fix. */
export class AwsAuthError extends Error {
  override name = "AwsAuthError";
  readonly code: string;
  constructor(message: string, code: string, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/** An S3/SQS call failed for a reason the operator can fix (a missing bucket or queue, an answer that was not AWS's). */
export class AwsServiceError extends Error {
  override name = "AwsServiceError";
  readonly code: string;
  constructor(message: string, code: string, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}
