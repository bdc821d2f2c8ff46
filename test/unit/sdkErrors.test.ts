/**
 * src/aws/sdkErrors.ts: how an error reads in a log line (describeCause: the AWS code prefixed only
 * to SDK errors that do not say it), its ECS error.type (errorFields), and which answers mean that
 * S3 has no such object (isNoSuchKey).
 */
import { describe, expect, it } from "vitest";
import { AwsAuthError, AwsServiceError } from "../../src/aws/authErrors.ts";
import { describeCause, errorFields, isDenied, isNoSuchKey } from "../../src/aws/sdkErrors.ts";

/** An error as the SDK throws it: a name (and maybe a Code) plus the $metadata of the answer. */
function sdkError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}
/** One of s3beat's own errors (or Node's): no $metadata. */
function ownError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe("describeCause", () => {
  it.each([
    { label: "an SDK error: its code first", cause: sdkError("ThrottlingException", "Rate exceeded"), want: "ThrottlingException: Rate exceeded" },
    {
      label: "an SDK error with a Code: the Code, not the class name",
      cause: sdkError("S3ServiceException", "Please reduce your request rate.", { Code: "SlowDown" }),
      want: "SlowDown: Please reduce your request rate.",
    },
    {
      label: "an SDK error whose message says its code already",
      cause: sdkError("NoSuchBucket", "NoSuchBucket: The specified bucket does not exist"),
      want: "NoSuchBucket: The specified bucket does not exist",
    },
    { label: "an SDK error without a code of its own", cause: sdkError("Error", "socket hang up"), want: "socket hang up" },
    {
      label: "s3beat's own error: its message says everything",
      cause: ownError("AwsAuthError", "GetObject on arn:aws:s3:::b/k failed (AccessDenied): fix it"),
      want: "GetObject on arn:aws:s3:::b/k failed (AccessDenied): fix it",
    },
    { label: "Node's error: no prefix", cause: ownError("TypeError", "x is not a function", { Code: "ERR_X" }), want: "x is not a function" },
    { label: "a plain Error", cause: new Error("plain"), want: "plain" },
    { label: "a string", cause: "went wrong", want: "went wrong" },
    { label: "a number", cause: 42, want: "42" },
    { label: "undefined", cause: undefined, want: "undefined" },
  ])("$label", ({ cause, want }) => {
    expect(describeCause(cause)).toBe(want);
  });
});

describe("errorFields", () => {
  it.each([
    { label: "the AWS Code", cause: sdkError("S3ServiceException", "m", { Code: "SlowDown" }), want: { "error.type": "SlowDown" } },
    { label: "Code over code", cause: sdkError("S3ServiceException", "m", { Code: "SlowDown", code: "ECONNRESET" }), want: { "error.type": "SlowDown" } },
    { label: "a Node error code", cause: ownError("Error", "read ECONNRESET", { code: "ECONNRESET" }), want: { "error.type": "ECONNRESET" } },
    { label: "a non-string code: the class", cause: ownError("SystemError", "m", { code: 42 }), want: { "error.type": "SystemError" } },
    { label: "no code: the class", cause: new TypeError("m"), want: { "error.type": "TypeError" } },
    {
      label: "an auth failure s3beat explained: the AWS code",
      cause: new AwsAuthError("explained", "AccessDenied", undefined),
      want: { "error.type": "AccessDenied" },
    },
    {
      label: "a missing resource s3beat explained: the AWS code",
      cause: new AwsServiceError("explained", "NoSuchBucket", undefined),
      want: { "error.type": "NoSuchBucket" },
    },
    {
      label: "a bodiless 403 (HEAD): AccessDenied",
      cause: Object.assign(new Error("UnknownError"), { name: "Unknown", $metadata: { httpStatusCode: 403 } }),
      want: { "error.type": "AccessDenied" },
    },
    { label: "not an Error", cause: { Code: "SlowDown", name: "X" }, want: {} },
    { label: "a string", cause: "boom", want: {} },
  ])("$label", ({ cause, want }) => {
    expect(errorFields(cause)).toEqual(want);
  });
});

describe("isNoSuchKey", () => {
  it.each([
    { label: "the modeled NoSuchKey", err: { name: "NoSuchKey" }, want: true },
    { label: "Code NoSuchKey", err: { name: "S3ServiceException", Code: "NoSuchKey" }, want: true },
    { label: "a HEAD's NotFound with 404", err: { name: "NotFound", $metadata: { httpStatusCode: 404 } }, want: true },
    { label: "NotFound with another status", err: { name: "NotFound", $metadata: { httpStatusCode: 403 } }, want: false },
    { label: "NotFound without metadata", err: { name: "NotFound" }, want: false },
    { label: "another error with 404", err: { name: "NoSuchBucket", $metadata: { httpStatusCode: 404 } }, want: false },
    { label: "an empty Code", err: { name: "Unknown", Code: "" }, want: false },
    { label: "AccessDenied", err: { name: "AccessDenied", Code: "AccessDenied" }, want: false },
    { label: "undefined", err: undefined, want: false },
    { label: "null", err: null, want: false },
  ])("$label", ({ err, want }) => {
    expect(isNoSuchKey(err)).toBe(want);
  });
});

describe("isDenied", () => {
  it.each([
    { label: "S3's AccessDenied", err: sdkError("AccessDenied", "Access Denied"), want: true },
    { label: "STS/SQS AccessDeniedException", err: sdkError("AccessDeniedException", "m"), want: true },
    { label: "SQS's legacy NotAuthorized Code", err: sdkError("SQSServiceException", "m", { Code: "AWS.SimpleQueueService.NotAuthorized" }), want: true },
    { label: "an AuthorizationError", err: sdkError("AuthorizationError", "m"), want: true },
    { label: "any code with HTTP 403", err: Object.assign(new Error("m"), { $metadata: { httpStatusCode: 403 } }), want: true },
    { label: "a Node error code saying it", err: ownError("Error", "m", { code: "Forbidden" }), want: true },
    { label: "throttling", err: sdkError("ThrottlingException", "m"), want: false },
    { label: "a 500", err: Object.assign(new Error("m"), { name: "InternalError", $metadata: { httpStatusCode: 500 } }), want: false },
    { label: "not an error", err: "AccessDenied?", want: false },
  ])("$label", ({ err, want }) => {
    expect(isDenied(err)).toBe(want);
  });
});
