import { describe, expect, it } from "vitest";
import { errorCode, explainAssumeRoleFailure, explainServiceAuthError, isTokenError } from "../../src/aws/authErrors.ts";

const ROLE = "arn:aws:iam::123456789012:role/s3beat-reader";

describe("explainAssumeRoleFailure (DESIGN §5 rows)", () => {
  it.each([
    { code: "AccessDenied", msg: "User: arn:aws:iam::111122223333:user/beat is not authorized", externalId: "ext-1", want: [/trust policy does not allow the base user/, /ExternalId condition does not match/, /Fix: check the role's trust policy principal .* and externalId/] },
    { code: "AccessDenied", msg: "not authorized", externalId: undefined, want: [/requires an sts:ExternalId and externalId is not set/] },
    { code: "InvalidClientTokenId", msg: "The security token included in the request is invalid.", want: [/keys are wrong, disabled or deleted/, /rotate or update the base keys/, /system clock/] },
    { code: "SignatureDoesNotMatch", msg: "The request signature we calculated does not match", want: [/rotate or update the base keys/, /NTP/] },
    { code: "ValidationError", msg: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", want: [/sessionDuration \(2h\) exceeds the role's MaxSessionDuration/, /lower sessionDuration or raise the role's maximum session duration/] },
    { code: "ExpiredToken", msg: "The security token included in the request is expired", want: [/have expired/, /clock is in sync \(NTP\)/] },
    { code: "Throttling", msg: "Rate exceeded", want: [/failed \(Throttling\): Rate exceeded/] },
  ])("$code", ({ code, msg, externalId, want }) => {
    const text = explainAssumeRoleFailure(code, msg, { roleArn: ROLE, durationSeconds: 7200, ...(externalId ? { externalId } : {}) });
    expect(text).toContain(ROLE);
    for (const re of want) expect(text).toMatch(re);
  });
});

describe("explainServiceAuthError", () => {
  it.each([
    { code: "AccessDenied", op: "GetObject", arn: "arn:aws:s3:::logs/a.gz", role: ROLE, want: /role .* is not allowed to s3:GetObject on arn:aws:s3:::logs\/a\.gz\. Fix: allow "s3:GetObject" on "arn:aws:s3:::logs\/a\.gz" in the policy of role/ },
    { code: "AccessDenied", op: "ReceiveMessage", arn: "arn:aws:sqs:us-east-1:123456789012:q", role: ROLE, want: /allow "sqs:ReceiveMessage" on "arn:aws:sqs:us-east-1:123456789012:q"/ },
    { code: "AccessDenied", op: "DeleteMessageBatch", arn: "arn:aws:sqs:us-east-1:123456789012:q", role: undefined, want: /allow "sqs:DeleteMessage" .* in the base user's policy/ },
    { code: "ExpiredToken", op: "GetObject", arn: "arn:aws:s3:::b/k", role: ROLE, want: /temporary credentials of .* are expired or invalid.*refreshed automatically unless disableAuthRetry/ },
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
