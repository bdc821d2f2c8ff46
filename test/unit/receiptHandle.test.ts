import { describe, expect, it } from "vitest";
import { receiptHandleGone } from "../../src/pipeline/visibility.ts";

const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe("visibility extension stops once the receipt handle is no longer valid", () => {
  it.each([
    [sdkError("ReceiptHandleIsInvalid", "The input receipt handle is invalid."), true],
    [sdkError("AWS.SimpleQueueService.MessageNotInflight", "The message referred to isn't in flight."), true],
    [
      sdkError(
        "InvalidParameterValue",
        "Value abc for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.",
      ),
      true,
    ],
    [sdkError("InvalidParameterValue", "Value 99999 for parameter VisibilityTimeout is invalid."), false],
    [sdkError("ThrottlingException", "Rate exceeded"), false],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), false],
  ])("%s → %s", (err, gone) => {
    expect(receiptHandleGone(err)).toBe(gone);
  });
});
