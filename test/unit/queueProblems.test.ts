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
