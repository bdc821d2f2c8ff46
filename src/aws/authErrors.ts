/**
 * Turns AWS auth failures into messages that name the cause and the fix (DESIGN §5). Pure: the
 * mapping is table-tested without any service.
 */

/** The code of an SDK error (`name` for modeled errors, `Code` for others). */
export function errorCode(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string; $metadata?: { httpStatusCode?: number } };
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

const TOKEN_CODES = new Set(["ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired", "RequestExpired"]);
const KEY_CODES = new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature", "UnrecognizedClientException"]);
const DENIED_CODES = new Set(["AccessDenied", "AccessDeniedException", "AllAccessDisabled"]);

/** An answer that temporary credentials are expired or invalid: a refresh may fix it. */
export function isTokenError(err: unknown): boolean {
  return TOKEN_CODES.has(errorCode(err)) || errorCode(err) === "InvalidClientTokenId";
}

const CLOCK_HINT = "check that the system clock is in sync (NTP)";
const KEYS_FIX =
  "rotate or update the base keys (accessKeyID/secretAccessKey, e.g. S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY) and " + CLOCK_HINT;

export interface AssumeRoleContext {
  roleArn: string;
  externalId?: string;
  durationSeconds: number;
}

function formatSeconds(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [h ? `${h}h` : "", m ? `${m}m` : "", s % 60 || (!h && !m) ? `${s % 60}s` : ""].join("");
}

/** Why sts:AssumeRole failed, and what the operator should change. */
export function explainAssumeRoleFailure(code: string, serviceMessage: string, role: AssumeRoleContext): string {
  const head = `sts:AssumeRole on ${role.roleArn} failed (${code})`;
  if (DENIED_CODES.has(code)) {
    const ext = role.externalId
      ? "or its sts:ExternalId condition does not match the configured externalId"
      : "or it requires an sts:ExternalId and externalId is not set";
    return `${head}: the role's trust policy does not allow the base user, ${ext}. Fix: check the role's trust policy principal (it must name the base user or its account) and externalId.`;
  }
  if (KEY_CODES.has(code)) {
    return `${head}: STS rejected the base credentials: the keys are wrong, disabled or deleted, or the clock is skewed. Fix: ${KEYS_FIX}.`;
  }
  if (code === "ValidationError" && /MaxSessionDuration/i.test(serviceMessage)) {
    return `${head}: sessionDuration (${formatSeconds(role.durationSeconds)}) exceeds the role's MaxSessionDuration. Fix: lower sessionDuration or raise the role's maximum session duration in IAM.`;
  }
  if (TOKEN_CODES.has(code)) {
    return `${head}: the base credentials are temporary and have expired. Fix: supply fresh base credentials, and ${CLOCK_HINT}.`;
  }
  if (code === "RegionDisabledException") {
    return `${head}: STS is not activated in this region. Fix: activate it in IAM (account settings) or set endpoints.sts to an active region.`;
  }
  return `${head}: ${serviceMessage}`;
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

/**
 * Explains an S3/SQS auth failure, or returns undefined when the error is not about auth (the
 * caller keeps the SDK's own error then).
 */
export function explainServiceAuthError(code: string, ctx: CallContext): string | undefined {
  const action = IAM_ACTION[ctx.operation] ?? ctx.operation;
  const who = ctx.roleArn ? `role ${ctx.roleArn}` : "the base credentials";
  const head = `${ctx.operation} on ${ctx.resourceArn} failed (${code})`;
  if (DENIED_CODES.has(code)) {
    const policy = ctx.roleArn ? `the policy of role ${ctx.roleArn}` : "the base user's policy";
    const extra = ctx.resourceArn.startsWith("arn:aws:s3") ? " (and check that the bucket policy and any KMS key policy allow it too)" : "";
    return `${head}: ${who} is not allowed to ${action} on ${ctx.resourceArn}. Fix: allow "${action}" on "${ctx.resourceArn}" in ${policy}${extra}.`;
  }
  if (TOKEN_CODES.has(code) || (ctx.roleArn && code === "InvalidClientTokenId")) {
    return ctx.roleArn
      ? `${head}: the temporary credentials of ${ctx.roleArn} are expired or invalid. They are refreshed automatically unless disableAuthRetry is true; if this repeats, ${CLOCK_HINT}.`
      : `${head}: the credentials are expired. Fix: supply fresh credentials, and ${CLOCK_HINT}.`;
  }
  if (KEY_CODES.has(code)) return `${head}: the access keys were rejected. Fix: ${KEYS_FIX}.`;
  return undefined;
}

/** sts:AssumeRole failed; the message already says why and what to do. */
export class AssumeRoleError extends Error {
  override name = "AssumeRoleError";
  readonly code: string;
  readonly roleArn: string;
  constructor(role: AssumeRoleContext, cause: unknown) {
    const code = errorCode(cause);
    super(explainAssumeRoleFailure(code, (cause as Error)?.message ?? String(cause), role), { cause });
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
