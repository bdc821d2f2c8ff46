import { describe, expect, it } from "vitest";
import { explainQueueProblem, queueProblemKind } from "../../src/sqs/queueProblems.ts";

const sdkError = (name: string, message: string, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const sysError = (code: string) => Object.assign(new Error(`getaddrinfo ${code} sqs.eu-west-9.amazonaws.com`), { code });
const ctx = {
  entry: "prod-events:eu-west-1",
  region: "eu-west-1",
  endpoint: "https://sqs.eu-west-1.amazonaws.com",
  principal: "role arn:aws:iam::111122223333:role/reader",
  checkCommand: "s3beat check -c /etc/s3beat/s3beat.yml",
};

describe("a queue that cannot be used at start: its cause and fix", () => {
  it.each([
    [
      "missing queue",
      sdkError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."),
      "missing",
      [
        "does not exist",
        "misspelled",
        "another region",
        "another account",
        "full URL",
        "endpoints.sqs",
        "eu-west-1",
        "role arn:aws:iam::111122223333:role/reader",
        "s3beat check -c /etc/s3beat/s3beat.yml",
      ],
    ],
    ["missing queue (JSON protocol)", sdkError("QueueDoesNotExist", "The specified queue does not exist."), "missing", ["does not exist", "s3beat check"]],
    [
      "access denied",
      Object.assign(sdkError("AccessDenied", "not authorized to perform sqs:GetQueueUrl", 403), {}),
      "denied",
      ["cannot be used", "AccessDenied", "s3beat check -c"],
    ],
    ["DNS failure", sysError("ENOTFOUND"), "network", ["cannot be reached", "DNS", "proxy", "keeps retrying", "https://sqs.eu-west-1.amazonaws.com"]],
    ["connection refused", sysError("ECONNREFUSED"), "network", ["cannot be reached"]],
    ["something else", sdkError("InternalError", "We encountered an internal error.", 500), "other", ["cannot be used", "InternalError", "s3beat check"]],
  ] as const)("%s", (_name, err, kind, words) => {
    expect(queueProblemKind(err)).toBe(kind);
    const text = explainQueueProblem(err, ctx);
    for (const w of words) expect(text).toContain(w);
  });
});

describe("queueProblemKind: every code it sorts", () => {
  it.each(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "TimeoutError", "RequestTimeout"])(
    "%s is a network problem, as the SDK's error name or as the system error's code",
    (code) => {
      expect(queueProblemKind(sdkError(code, "failed", 500))).toBe("network");
      expect(queueProblemKind(sysError(code))).toBe("network");
    },
  );

  it("a network failure the SDK wraps (its cause has the code) is a network problem", () => {
    const wrapped = new Error("fetch failed", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
    expect(queueProblemKind(wrapped)).toBe("network");
  });

  it.each(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue"])("%s: the queue is missing", (code) => {
    expect(queueProblemKind(sdkError(code, "The specified queue does not exist."))).toBe("missing");
  });

  it.each(["AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "UnrecognizedClientException"])(
    "%s: access is denied",
    (code) => {
      expect(queueProblemKind(sdkError(code, "no", 403))).toBe("denied");
    },
  );

  it.each([
    [
      "an explained auth failure (AwsAuthError)",
      Object.assign(new Error("The key is not valid. Fix: …"), { name: "AwsAuthError", code: "InvalidAccessKeyId" }),
    ],
    ["a failed role assumption (AssumeRoleError)", Object.assign(new Error("cannot assume role. Fix: …"), { name: "AssumeRoleError", code: "AccessDenied" })],
  ])("%s: access is denied", (_name, err) => {
    expect(queueProblemKind(err)).toBe("denied");
  });

  it.each([
    ["a system error that is not a network one", sysError("EACCES")],
    ["a code that is not a string", Object.assign(new Error("odd"), { code: 42 })],
    ["a cause whose code is not a network one", new Error("fetch failed", { cause: { code: "EPROTO" } })],
    ["an error without a name or code", new Error("boom")],
    ["a thrown string", "boom"],
    ["undefined", undefined],
    ["null", null],
  ])("%s is another problem", (_name, err) => {
    expect(queueProblemKind(err)).toBe("other");
  });
});

describe("explainQueueProblem: the whole text per kind", () => {
  const where = 'queue "prod-events:eu-west-1" (region eu-west-1, endpoint https://sqs.eu-west-1.amazonaws.com, as role arn:aws:iam::111122223333:role/reader)';
  const check = "run `s3beat check -c /etc/s3beat/s3beat.yml` to test access step by step";

  it.each([
    [
      "missing",
      sdkError("QueueDoesNotExist", "The specified queue does not exist."),
      `${where} does not exist. Likely causes: the queue name is misspelled; the queue is in another region (the part after ":" in the entry); ` +
        `it belongs to another account (give its full URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME); endpoints.sqs points elsewhere. Then ${check}.`,
    ],
    [
      "denied",
      sdkError("AccessDenied", "not authorized to perform sqs:GetQueueUrl", 403),
      `${where} cannot be used: AccessDenied: not authorized to perform sqs:GetQueueUrl. Then ${check}.`,
    ],
    [
      "network",
      sysError("ENOTFOUND"),
      `${where} cannot be reached: getaddrinfo ENOTFOUND sqs.eu-west-9.amazonaws.com. Check DNS, the network path and any proxy to https://sqs.eu-west-1.amazonaws.com, and endpoints.sqs; s3beat keeps retrying.`,
    ],
    [
      "other",
      sdkError("InternalError", "We encountered an internal error.", 500),
      `${where} cannot be used: InternalError: We encountered an internal error.. Check the queue name, region, account and endpoints.sqs, then ${check}.`,
    ],
  ])("%s", (_kind, err, text) => {
    expect(explainQueueProblem(err, ctx)).toBe(text);
  });
});
