import { describe, expect, it } from "vitest";
import {
  AssumeRoleError,
  AwsAuthError,
  AwsServiceError,
  describeUnparsable,
  errorCode,
  explainAssumeRoleError,
  explainAssumeRoleFailure,
  explainMissingResource,
  explainServiceAuthError,
  explainServiceError,
  httpStatusOf,
  isTokenError,
  unparsableStatus,
} from "../../src/aws/authErrors.ts";
import { describeCause } from "../../src/aws/sdkErrors.ts";

const ROLE = "arn:aws:iam::123456789012:role/s3beat-reader";

describe("explainAssumeRoleFailure (DESIGN §5 rows)", () => {
  it.each([
    {
      code: "AccessDenied",
      msg: "User: arn:aws:iam::111122223333:user/beat is not authorized to perform: sts:AssumeRole on resource: x",
      externalId: "ext-1",
      want: [
        /Causes, most likely first: \(1\) the role ARN is mistyped or the role does not exist; \(2\) the base user's own IAM policy lacks "sts:AssumeRole" on "arn:[^"]+"; \(3\) the role's trust policy does not name the base user \(arn:aws:iam::111122223333:user\/beat\) or its account as Principal; \(4\) the configured externalId does not match the sts:ExternalId condition/,
        /Fix: compare roleArn with the role's ARN in IAM; allow "sts:AssumeRole" on "arn:[^"]+" in the base user's policy; check the role's trust policy principal .*; make externalId equal/,
      ],
    },
    {
      code: "AccessDenied",
      msg: "not authorized",
      externalId: undefined,
      want: [
        /\(4\) the role's trust policy may require an ExternalId .*externalId is not set/,
        /if the trust policy has an sts:ExternalId condition, set externalId to its value/,
      ],
    },
    {
      code: "InvalidClientTokenId",
      msg: "The security token included in the request is invalid.",
      want: [/keys are wrong, disabled or deleted/, /rotate or update the base keys/, /system clock/],
    },
    { code: "SignatureDoesNotMatch", msg: "The request signature we calculated does not match", want: [/rotate or update the base keys/, /NTP/] },
    {
      code: "ValidationError",
      msg: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      want: [/sessionDuration \(2h\) exceeds the role's MaxSessionDuration/, /lower sessionDuration or raise the role's maximum session duration/],
    },
    { code: "ExpiredToken", msg: "The security token included in the request is expired", want: [/have expired/, /clock is in sync \(NTP\)/] },
    { code: "Throttling", msg: "Rate exceeded", want: [/failed \(Throttling\): Rate exceeded\. Fix: check that STS is reachable/] },
  ])("$code", ({ code, msg, externalId, want }) => {
    const text = explainAssumeRoleFailure(code, msg, { roleArn: ROLE, durationSeconds: 7200, ...(externalId ? { externalId } : {}) });
    expect(text).toContain(ROLE);
    for (const re of want) expect(text).toMatch(re);
  });
});

describe("explainServiceAuthError", () => {
  it.each([
    {
      code: "AccessDenied",
      op: "GetObject",
      arn: "arn:aws:s3:::logs/a.gz",
      role: ROLE,
      want: /role .* is not allowed to s3:GetObject on arn:aws:s3:::logs\/a\.gz\. Fix: allow "s3:GetObject" on "arn:aws:s3:::logs\/a\.gz" in the policy of role/,
    },
    {
      code: "AccessDenied",
      op: "ReceiveMessage",
      arn: "arn:aws:sqs:us-east-1:123456789012:q",
      role: ROLE,
      want: /allow "sqs:ReceiveMessage" on "arn:aws:sqs:us-east-1:123456789012:q"/,
    },
    {
      code: "AccessDenied",
      op: "DeleteMessageBatch",
      arn: "arn:aws:sqs:us-east-1:123456789012:q",
      role: undefined,
      want: /: the base credentials are not allowed to sqs:DeleteMessage .*allow "sqs:DeleteMessage" .* in the base user's policy/,
    },
    {
      code: "AccessDenied",
      op: "HeadBucket",
      arn: "arn:aws:s3:::logs",
      role: ROLE,
      want: /is not allowed to s3:ListBucket \(the permission s3:HeadBucket needs\) on arn:aws:s3:::logs\. Fix: allow "s3:ListBucket" on "arn:aws:s3:::logs"/,
    },
    {
      code: "ExpiredToken",
      op: "GetObject",
      arn: "arn:aws:s3:::b/k",
      role: ROLE,
      want: /temporary credentials of .* are expired or invalid.*refreshed automatically unless disableAuthRetry.* Fix: .*NTP/,
    },
    { code: "InvalidAccessKeyId", op: "GetObject", arn: "arn:aws:s3:::b/k", role: undefined, want: /access keys were rejected/ },
  ])("$code on $op", ({ code, op, arn, role, want }) => {
    expect(explainServiceAuthError(code, { operation: op, resourceArn: arn, ...(role ? { roleArn: role } : {}) })).toMatch(want);
  });

  it.each(["NoSuchKey", "ThrottlingException", "InternalError"])("leaves %s alone", (code) => {
    expect(explainServiceAuthError(code, { operation: "GetObject", resourceArn: "arn:aws:s3:::b/k", roleArn: ROLE })).toBeUndefined();
  });
});

describe("error codes", () => {
  it.each([
    [{ name: "ExpiredToken" }, "ExpiredToken", true],
    [{ name: "S3ServiceException", Code: "ExpiredToken" }, "ExpiredToken", true],
    [{ name: "InvalidClientTokenId" }, "InvalidClientTokenId", true],
    [{ name: "AccessDenied" }, "AccessDenied", false],
    [new Error("plain"), "Error", false],
    [{ name: "Unknown", $metadata: { httpStatusCode: 403 } }, "AccessDenied", false],
    [{ name: "Unknown", $metadata: { httpStatusCode: 404 } }, "NotFound", false],
  ])("%o -> %s", (err, code, token) => {
    expect(errorCode(err)).toBe(code);
    expect(isTokenError(err)).toBe(token);
  });
});

/** What the SDK hands over, in the shapes measured against @aws-sdk v3 (see the comments). */
function sdkError(shape: {
  name: string;
  message: string;
  status: number;
  fault?: "client" | "server";
  contentType?: string;
  Code?: string;
  code?: string;
}): Error {
  const e = Object.assign(new Error(shape.message), { name: shape.name, $metadata: { httpStatusCode: shape.status } });
  if (shape.fault) Object.assign(e, { $fault: shape.fault });
  if (shape.Code) Object.assign(e, { Code: shape.Code });
  if (shape.code) Object.assign(e, { code: shape.code });
  // Hidden, as the SDK's deserializer attaches it.
  Object.defineProperty(e, "$response", {
    value: { statusCode: shape.status, headers: shape.contentType ? { "content-type": shape.contentType } : {} },
    enumerable: false,
  });
  return e;
}

// SQS (JSON protocol) reading an HTML page: the parser's own error, with $response and $metadata but no $fault.
const SQS_HTML_403 = sdkError({
  name: "SyntaxError",
  message: `Unexpected token '<', "<html><bod"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.`,
  status: 403,
  contentType: "text/html",
});
// S3 (XML protocol) reading an HTML page: a service exception without a code.
const S3_HTML_403 = sdkError({ name: "Unknown", message: "UnknownError", status: 403, fault: "client", contentType: "text/html; charset=utf-8" });
// S3's own answer to a HEAD: no body, so no code either; the status is the answer.
const S3_HEAD_403 = sdkError({ name: "Unknown", message: "UnknownError", status: 403, fault: "client", contentType: "application/xml" });
const S3_HEAD_404 = sdkError({ name: "NotFound", message: "UnknownError", status: 404, fault: "client" });

describe("answers that are not AWS's XML/JSON", () => {
  it.each([
    { label: "SQS SyntaxError 403", err: SQS_HTML_403, op: "GetQueueUrl", status: 403 },
    { label: "S3 HTML page 403", err: S3_HTML_403, op: "GetObject", status: 403 },
    {
      label: "S3 HTML page 403 to a HEAD (content type)",
      err: sdkError({ name: "Unknown", message: "UnknownError", status: 403, fault: "client", contentType: "text/html" }),
      op: "HeadBucket",
      status: 403,
    },
    {
      label: "S3 no-code 502 to a GET",
      err: sdkError({ name: "Unknown", message: "UnknownError", status: 502, fault: "server", contentType: "application/xml" }),
      op: "ListObjectsV2",
      status: 502,
    },
    { label: "S3's own HEAD 403", err: S3_HEAD_403, op: "HeadBucket", status: undefined },
    { label: "S3's own HEAD 404", err: S3_HEAD_404, op: "HeadBucket", status: undefined },
    {
      label: "a modeled error",
      err: sdkError({
        name: "NoSuchKey",
        message: "The specified key does not exist.",
        status: 404,
        fault: "client",
        contentType: "application/xml",
        Code: "NoSuchKey",
      }),
      op: "GetObject",
      status: undefined,
    },
    {
      label: "a connection reset while reading the body",
      err: sdkError({ name: "Error", message: "aborted", status: 200, code: "ECONNRESET" }),
      op: "ListObjectsV2",
      status: undefined,
    },
    {
      label: "no answer at all",
      err: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
      op: "GetObject",
      status: undefined,
    },
  ])("$label", ({ err, op, status }) => {
    expect(unparsableStatus(err, op)).toBe(status);
  });

  it("a 403 page is AccessDenied on the action and resource, with the missing-permission fix", () => {
    const sqs = explainServiceError(SQS_HTML_403, { operation: "GetQueueUrl", resourceArn: "arn:aws:sqs:us-east-1:*:q", roleArn: ROLE });
    expect(sqs).toMatchObject({ code: "AccessDenied", auth: true });
    expect(sqs?.message).toMatch(
      /^GetQueueUrl on arn:aws:sqs:us-east-1:\*:q failed: AccessDenied on sqs:GetQueueUrl arn:aws:sqs:us-east-1:\*:q \(HTTP 403, unparsable body\)/,
    );
    expect(sqs?.message).toMatch(/Fix: allow "sqs:GetQueueUrl" on "arn:aws:sqs:us-east-1:\*:q" in the policy of role .*check endpoints\.sqs/);
    expect(sqs?.message).not.toMatch(/SyntaxError|Unexpected token/);
    const s3 = explainServiceError(S3_HTML_403, { operation: "GetObject", resourceArn: "arn:aws:s3:::b/k" });
    expect(s3?.message).toMatch(
      /AccessDenied on s3:GetObject arn:aws:s3:::b\/k \(HTTP 403, unparsable body\): the base credentials are not allowed to s3:GetObject.*Fix: allow "s3:GetObject" on "arn:aws:s3:::b\/k" in the base user's policy/,
    );
  });

  it("another status says the operation, the status and that the answer was not AWS's", () => {
    const err = sdkError({ name: "SyntaxError", message: "Unexpected token '<'", status: 502, contentType: "text/html" });
    const out = explainServiceError(err, { operation: "ReceiveMessage", resourceArn: "arn:aws:sqs:us-east-1:1:q", roleArn: ROLE });
    expect(out).toMatchObject({ code: "UnparsableResponse", auth: false });
    expect(out?.message).toBe(
      "ReceiveMessage failed with HTTP 502 (the answer was not AWS's XML/JSON: a proxy or a wrong endpoint?) for arn:aws:sqs:us-east-1:1:q. Fix: check endpoints.sqs (leave it unset for AWS's own endpoint) and any proxy or firewall between s3beat and AWS.",
    );
  });

  it("STS: a 403 page lists the AssumeRole causes; another status names the endpoint setting", () => {
    const sts403 = sdkError({ name: "Unknown", message: "Unknown", status: 403, fault: "client", contentType: "text/html" });
    const denied = explainAssumeRoleError(sts403, { roleArn: ROLE, durationSeconds: 3600 });
    expect(denied.code).toBe("AccessDenied");
    expect(denied.message).toMatch(/^AccessDenied on sts:AssumeRole arn:\S+ \(HTTP 403, unparsable body.*\(1\) the role ARN is mistyped.*Fix: compare roleArn/);
    const sts502 = sdkError({ name: "Unknown", message: "Unknown", status: 502, fault: "server", contentType: "text/html" });
    expect(explainAssumeRoleError(sts502, { roleArn: ROLE, durationSeconds: 3600 }).message).toMatch(
      /^AssumeRole failed with HTTP 502 \(the answer was not AWS's XML\/JSON: a proxy or a wrong endpoint\?\) for arn:\S+\. Fix: check endpoints\.sts/,
    );
  });

  it("describeCause says the status instead of the parser's complaint", () => {
    expect(describeCause(SQS_HTML_403)).toBe("AccessDenied (HTTP 403, unparsable body: the answer was not AWS's XML/JSON: a proxy or a wrong endpoint?)");
    expect(describeCause(sdkError({ name: "SyntaxError", message: "Unexpected token '<'", status: 504, contentType: "text/html" }))).toBe(
      "AWS call failed with HTTP 504 (the answer was not AWS's XML/JSON: a proxy or a wrong endpoint?)",
    );
    expect(describeUnparsable(S3_HEAD_403)).toBeUndefined();
  });
});

describe("missing bucket or queue", () => {
  it("HeadBucket 404 (the SDK's NotFound: UnknownError) says the bucket does not exist", () => {
    const out = explainServiceError(S3_HEAD_404, { operation: "HeadBucket", resourceArn: "arn:aws:s3:::prod-logs", roleArn: ROLE });
    expect(out).toMatchObject({ code: "NotFound", auth: false });
    expect(out?.message).toMatch(
      /bucket "prod-logs" does not exist\. Fix: check the bucket name, and that the bucket is in the account and region you expect\./,
    );
  });

  it("HeadBucket 403 is AccessDenied on s3:ListBucket for that bucket", () => {
    expect(explainServiceError(S3_HEAD_403, { operation: "HeadBucket", resourceArn: "arn:aws:s3:::prod-logs", roleArn: ROLE })?.message).toMatch(
      /HeadBucket on arn:aws:s3:::prod-logs failed \(AccessDenied\): role \S+ is not allowed to s3:ListBucket \(the permission s3:HeadBucket needs\) on arn:aws:s3:::prod-logs\. Fix: allow "s3:ListBucket" on "arn:aws:s3:::prod-logs"/,
    );
  });

  it("a missing queue names it, its region and whose account", () => {
    const err = sdkError({
      name: "QueueDoesNotExist",
      message: "The specified queue does not exist.",
      status: 400,
      fault: "client",
      contentType: "application/x-amz-json-1.0",
      Code: "AWS.SimpleQueueService.NonExistentQueue",
    });
    expect(explainServiceError(err, { operation: "GetQueueUrl", resourceArn: "arn:aws:sqs:eu-west-1:*:events", roleArn: ROLE })?.message).toMatch(
      /queue "events" does not exist in eu-west-1 for these credentials\. Fix: check the queue name and region in sqsQueues, and that the queue is in the account of role/,
    );
  });

  it("leaves a missing key alone (the pipeline decides about it)", () => {
    const err = sdkError({
      name: "NoSuchKey",
      message: "The specified key does not exist.",
      status: 404,
      fault: "client",
      contentType: "application/xml",
      Code: "NoSuchKey",
    });
    expect(explainServiceError(err, { operation: "GetObject", resourceArn: "arn:aws:s3:::b/k" })).toBeUndefined();
  });
});

describe("errorCode and httpStatusOf: every shape", () => {
  const meta = (status: unknown) => ({ $metadata: { httpStatusCode: status } });
  it.each([
    { label: "an explained AwsServiceError keeps the AWS code", err: new AwsServiceError("m", "NoSuchBucket", undefined), want: "NoSuchBucket" },
    { label: "UnknownError 403 (a HEAD)", err: { name: "UnknownError", ...meta(403) }, want: "AccessDenied" },
    { label: "Unknown 301 (a HEAD in another region)", err: { name: "Unknown", ...meta(301) }, want: "PermanentRedirect" },
    { label: "Unknown 500: no code to tell", err: { name: "Unknown", ...meta(500) }, want: "Unknown" },
    { label: "Unknown without metadata", err: { name: "Unknown" }, want: "Unknown" },
    { label: "Unknown with a Code: the Code", err: { name: "Unknown", Code: "SlowDown", ...meta(403) }, want: "SlowDown" },
    { label: "an empty Code: the name", err: { name: "SlowDown", Code: "" }, want: "SlowDown" },
    { label: "a plain Error with a Node code", err: Object.assign(new Error("read"), { code: "ECONNRESET" }), want: "ECONNRESET" },
    { label: "no name, a code", err: { code: "ECONNREFUSED" }, want: "ECONNREFUSED" },
    { label: "a non-string code", err: { name: "Error", code: 7 }, want: "Error" },
    { label: "undefined", err: undefined, want: "Error" },
    { label: "null", err: null, want: "Error" },
  ])("errorCode: $label", ({ err, want }) => {
    expect(errorCode(err)).toBe(want);
  });

  it.each([
    { label: "from $metadata", err: meta(403), want: 403 },
    { label: "from $response when there is no $metadata", err: { $response: { statusCode: 502 } }, want: 502 },
    { label: "$metadata first", err: { ...meta(404), $response: { statusCode: 502 } }, want: 404 },
    { label: "not a number", err: meta("403"), want: undefined },
    { label: "no answer", err: new Error("connect ECONNREFUSED"), want: undefined },
    { label: "undefined", err: undefined, want: undefined },
  ])("httpStatusOf: $label", ({ err, want }) => {
    expect(httpStatusOf(err)).toBe(want);
  });
});

describe("unparsableStatus: the edges", () => {
  /** An error with the hidden $response the SDK's deserializer attaches. */
  const withResponse = (fields: Record<string, unknown>, status: number, headers: Record<string, string> = {}) => {
    const e = Object.assign(new Error(String(fields.message ?? "m")), { $metadata: { httpStatusCode: status } }, fields);
    Object.defineProperty(e, "$response", { value: { statusCode: status, headers }, enumerable: false });
    return e;
  };
  const html = { "content-type": "text/html" };
  it.each([
    {
      label: "a status without any answer body attached",
      err: { name: "SyntaxError", $metadata: { httpStatusCode: 403 } },
      op: "GetQueueUrl",
      want: undefined,
    },
    { label: "an aborted read", err: withResponse({ name: "AbortError" }, 200), op: "GetObject", want: undefined },
    { label: "a timed-out read", err: withResponse({ name: "TimeoutError" }, 200), op: "GetObject", want: undefined },
    { label: "a parser error", err: withResponse({ name: "SyntaxError" }, 502), op: "GetObject", want: 502 },
    { label: "no code: name UnknownError", err: withResponse({ name: "UnknownError", message: "x", $fault: "server" }, 502, html), op: "GetObject", want: 502 },
    { label: "no code: name Unknown", err: withResponse({ name: "Unknown", message: "x", $fault: "server" }, 502, html), op: "GetObject", want: 502 },
    {
      label: "no code: message UnknownError",
      err: withResponse({ name: "S3ServiceException", message: "UnknownError", $fault: "server" }, 502, html),
      op: "GetObject",
      want: 502,
    },
    {
      label: "no code: message Unknown",
      err: withResponse({ name: "S3ServiceException", message: "Unknown", $fault: "server" }, 502, html),
      op: "GetObject",
      want: 502,
    },
    {
      label: "a service error with a name",
      err: withResponse({ name: "SlowDown", message: "Please reduce", $fault: "server" }, 503, html),
      op: "GetObject",
      want: undefined,
    },
    {
      label: "a Code, whatever the name",
      err: withResponse({ name: "Unknown", message: "UnknownError", Code: "SlowDown", $fault: "server" }, 503, html),
      op: "GetObject",
      want: undefined,
    },
    {
      label: "a HEAD: the content type is found among other headers, any case",
      err: withResponse({ name: "Unknown", message: "UnknownError", $fault: "client" }, 403, { "x-amz-request-id": "REQ1", "Content-Type": "application/xml" }),
      op: "HeadObject",
      want: undefined,
    },
    {
      label: "a HEAD without content type",
      err: withResponse({ name: "Unknown", message: "UnknownError", $fault: "client" }, 403),
      op: "HeadObject",
      want: undefined,
    },
    { label: "no operation known", err: withResponse({ name: "Unknown", message: "UnknownError", $fault: "client" }, 403), op: undefined, want: undefined },
    { label: "a GET without content type", err: withResponse({ name: "Unknown", message: "UnknownError", $fault: "client" }, 403), op: "GetObject", want: 403 },
  ])("$label", ({ err, op, want }) => {
    expect(unparsableStatus(err, op)).toBe(want);
  });
});

describe("the code tables", () => {
  const s3 = { operation: "GetObject", resourceArn: "arn:aws:s3:::logs/k" };
  it.each(["ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired", "RequestExpired"])("%s is a token error", (code) => {
    expect(isTokenError({ name: code })).toBe(true);
    expect(explainServiceAuthError(code, s3)).toMatch(/: the credentials are expired\. Fix: supply fresh credentials, and check that the system clock/);
    expect(explainAssumeRoleFailure(code, "m", { roleArn: ROLE, durationSeconds: 900 })).toMatch(/the base credentials are temporary and have expired/);
  });

  it.each(["InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature", "UnrecognizedClientException"])(
    "%s: the keys were rejected",
    (code) => {
      expect(explainServiceAuthError(code, s3)).toBe(
        `GetObject on arn:aws:s3:::logs/k failed (${code}): the access keys were rejected. Fix: rotate or update the base keys (accessKeyID/secretAccessKey, e.g. S3BEAT_ACCESS_KEY_ID and S3BEAT_SECRET_ACCESS_KEY) and check that the system clock is in sync (NTP).`,
      );
      expect(explainAssumeRoleFailure(code, "m", { roleArn: ROLE, durationSeconds: 900 })).toMatch(/STS rejected the base credentials/);
    },
  );

  it("only InvalidClientTokenId of those is a token error (temporary credentials may say it)", () => {
    expect(["SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature", "UnrecognizedClientException"].map((name) => isTokenError({ name }))).toEqual(
      [false, false, false, false],
    );
    expect(explainServiceAuthError("InvalidClientTokenId", { ...s3, roleArn: ROLE })).toMatch(/the temporary credentials of \S+ are expired or invalid/);
  });

  it.each(["AccessDenied", "AccessDeniedException", "AllAccessDisabled"])("%s: denied", (code) => {
    expect(explainServiceAuthError(code, s3)).toMatch(/the base credentials are not allowed to s3:GetObject/);
    expect(explainAssumeRoleFailure(code, "m", { roleArn: ROLE, durationSeconds: 900 })).toMatch(/the base credentials may not assume this role/);
  });

  it.each(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"])("%s: a missing queue", (code) => {
    expect(explainMissingResource(code, { operation: "GetQueueUrl", resourceArn: "arn:aws:sqs:eu-west-1:123456789012:events" })).toBe(
      `GetQueueUrl on arn:aws:sqs:eu-west-1:123456789012:events failed (${code}): queue "events" does not exist in eu-west-1 for these credentials. Fix: check the queue name and region in sqsQueues, and that the queue is in the account of the base credentials.`,
    );
  });

  // The IAM action each operation needs, as the denied message tells it.
  it.each([
    ["GetObject", "s3:GetObject"],
    ["HeadObject", "s3:GetObject"],
    ["HeadBucket", "s3:ListBucket"],
    ["ListObjectsV2", "s3:ListBucket"],
    ["PutObject", "s3:PutObject"],
    ["CopyObject", "s3:PutObject"],
    ["DeleteObject", "s3:DeleteObject"],
    ["ReceiveMessage", "sqs:ReceiveMessage"],
    ["SendMessage", "sqs:SendMessage"],
    ["DeleteMessage", "sqs:DeleteMessage"],
    ["DeleteMessageBatch", "sqs:DeleteMessage"],
    ["ChangeMessageVisibility", "sqs:ChangeMessageVisibility"],
    ["ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility"],
    ["GetQueueUrl", "sqs:GetQueueUrl"],
    ["GetQueueAttributes", "sqs:GetQueueAttributes"],
    ["GetBucketLocation", "GetBucketLocation"],
  ])("%s needs %s", (operation, action) => {
    expect(explainServiceAuthError("AccessDenied", { operation, resourceArn: "arn:aws:s3:::b" })).toContain(`Fix: allow "${action}" on "arn:aws:s3:::b"`);
  });
});

describe("explained messages: the rest of the wording", () => {
  const role = { roleArn: ROLE, durationSeconds: 900 };

  it("AccessDenied on AssumeRole without a caller in STS's message: the base user, unnamed", () => {
    expect(explainAssumeRoleFailure("AccessDenied", "Access denied", role)).toContain("(3) the role's trust policy does not name the base user or its account");
    // The caller is read only from the start of the message.
    expect(explainAssumeRoleFailure("AccessDenied", "Denied. User: arn:aws:iam::1:user/x is not authorized", role)).toContain(
      "does not name the base user or its account",
    );
  });

  it.each([
    { label: "a ValidationError about something else", code: "ValidationError", msg: "RoleSessionName is too long" },
    { label: "MaxSessionDuration under another code", code: "Throttling", msg: "MaxSessionDuration exceeded" },
  ])("$label is not about sessionDuration", ({ code, msg }) => {
    expect(explainAssumeRoleFailure(code, msg, role)).not.toContain("sessionDuration");
  });

  it("RegionDisabledException: activate STS in the region", () => {
    expect(explainAssumeRoleFailure("RegionDisabledException", "STS is not activated", role)).toBe(
      `sts:AssumeRole on ${ROLE} failed (RegionDisabledException): STS is not activated in this region. Fix: activate it in IAM (account settings) or set endpoints.sts to an active region.`,
    );
  });

  it("another failure: STS's first line, without its final dot, and the STS endpoint in use", () => {
    expect(explainAssumeRoleFailure("InternalFailure", "Server v1.2 failed.\nat line 2", { ...role, stsEndpoint: "https://sts.vpce.example" })).toBe(
      `sts:AssumeRole on ${ROLE} failed (InternalFailure): Server v1.2 failed. Fix: check that STS at https://sts.vpce.example is reachable (endpoints.sts, network, proxy), then try again.`,
    );
  });

  it("explainAssumeRoleError: an AWS answer is explained by its code and STS's message", () => {
    const err = Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } });
    expect(explainAssumeRoleError(err, role)).toEqual({
      code: "Throttling",
      message: `sts:AssumeRole on ${ROLE} failed (Throttling): Rate exceeded. Fix: check that STS is reachable (endpoints.sts, network, proxy), then try again.`,
    });
    expect(explainAssumeRoleError("socket closed", role).message).toContain("failed (Error): socket closed. Fix:");
    expect(explainAssumeRoleError(undefined, role).message).toContain("failed (Error): undefined. Fix:");
  });

  it("denied on S3 mentions the bucket and KMS key policies; on SQS it does not", () => {
    expect(explainServiceAuthError("AccessDenied", { operation: "GetObject", resourceArn: "arn:aws:s3:::b/k" })).toBe(
      'GetObject on arn:aws:s3:::b/k failed (AccessDenied): the base credentials are not allowed to s3:GetObject on arn:aws:s3:::b/k. Fix: allow "s3:GetObject" on "arn:aws:s3:::b/k" in the base user\'s policy (and check that the bucket policy and any KMS key policy allow it too).',
    );
    expect(explainServiceAuthError("AccessDenied", { operation: "ReceiveMessage", resourceArn: "arn:aws:sqs:eu-west-1:1:q" })).toBe(
      'ReceiveMessage on arn:aws:sqs:eu-west-1:1:q failed (AccessDenied): the base credentials are not allowed to sqs:ReceiveMessage on arn:aws:sqs:eu-west-1:1:q. Fix: allow "sqs:ReceiveMessage" on "arn:aws:sqs:eu-west-1:1:q" in the base user\'s policy.',
    );
  });

  it("expired temporary credentials of a role", () => {
    expect(explainServiceAuthError("ExpiredToken", { operation: "GetObject", resourceArn: "arn:aws:s3:::b/k", roleArn: ROLE })).toBe(
      `GetObject on arn:aws:s3:::b/k failed (ExpiredToken): the temporary credentials of ${ROLE} are expired or invalid. They are refreshed automatically unless disableAuthRetry is true. Fix: if this repeats, check that the system clock is in sync (NTP).`,
    );
  });

  it("a missing bucket: NoSuchBucket on any operation, NotFound on HeadBucket only", () => {
    expect(explainMissingResource("NoSuchBucket", { operation: "GetObject", resourceArn: "arn:aws:s3:::logs/a.gz" })).toBe(
      'GetObject on arn:aws:s3:::logs/a.gz failed (NoSuchBucket): bucket "logs" does not exist. Fix: check the bucket name, and that the bucket is in the account and region you expect.',
    );
    expect(explainMissingResource("NotFound", { operation: "HeadObject", resourceArn: "arn:aws:s3:::logs/a.gz" })).toBeUndefined();
    expect(explainMissingResource("SlowDown", { operation: "HeadBucket", resourceArn: "arn:aws:s3:::logs" })).toBeUndefined();
    expect(explainMissingResource("QueueDoesNotExist", { operation: "HeadBucket", resourceArn: "arn:aws:s3:::logs" })).toBeUndefined();
  });

  it("a missing queue needs a queue ARN and a queue code", () => {
    const sqs = { operation: "GetQueueUrl", resourceArn: "arn:aws:sqs:eu-west-1:123456789012:events" };
    expect(explainMissingResource("ThrottlingException", sqs)).toBeUndefined();
    expect(explainMissingResource("NoSuchBucket", sqs)).toBeUndefined();
  });

  it.each([
    { label: "an SQS ARN", operation: "ListQueues", resourceArn: "arn:aws:sqs:eu-west-1:123456789012:q", service: "sqs" },
    { label: "another partition", operation: "ListQueues", resourceArn: "arn:aws-cn:sqs:cn-north-1:123456789012:q", service: "sqs" },
    { label: "no ARN: the operation's action", operation: "ReceiveMessage", resourceArn: "https://sqs.eu-west-1.amazonaws.com/1/q", service: "sqs" },
    { label: "no ARN, an unknown operation: S3", operation: "ListBuckets", resourceArn: "*", service: "s3" },
    { label: "an S3 ARN", operation: "ListBuckets", resourceArn: "arn:aws:s3:::b", service: "s3" },
  ])("an answer that was not AWS's names endpoints.<service>: $label", ({ operation, resourceArn, service }) => {
    const err = Object.assign(new Error("Unexpected token '<'"), { name: "SyntaxError", $metadata: { httpStatusCode: 502 } });
    Object.defineProperty(err, "$response", { value: { statusCode: 502, headers: { "content-type": "text/html" } }, enumerable: false });
    expect(explainServiceError(err, { operation, resourceArn })?.message).toContain(
      `for ${resourceArn}. Fix: check endpoints.${service} (leave it unset for AWS's own endpoint)`,
    );
  });
});

describe("the error classes", () => {
  const cause = Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
  it("AssumeRoleError: its name, code, role and cause", () => {
    const e = new AssumeRoleError({ roleArn: ROLE, durationSeconds: 900 }, cause);
    expect({ name: e.name, code: e.code, roleArn: e.roleArn, cause: e.cause }).toEqual({ name: "AssumeRoleError", code: "AccessDenied", roleArn: ROLE, cause });
    expect(e.message).toMatch(/^sts:AssumeRole on \S+ failed \(AccessDenied\)/);
  });
  it.each([
    ["AwsAuthError", (m: string, c: string, x: unknown) => new AwsAuthError(m, c, x)],
    ["AwsServiceError", (m: string, c: string, x: unknown) => new AwsServiceError(m, c, x)],
  ])("%s: its name, message, code and cause", (name, make) => {
    const e = make("explained", "NoSuchBucket", cause);
    expect({ name: e.name, message: e.message, code: e.code, cause: e.cause }).toEqual({ name, message: "explained", code: "NoSuchBucket", cause });
  });
});
