/** awsCaller's auth policy with a fake role provider: one forced refresh and one retry, on token errors only. */
import { describe, expect, it } from "vitest";
import { AssumeRoleError, AwsAuthError, AwsServiceError } from "../../src/aws/authErrors.ts";
import { awsCaller } from "../../src/aws/authRetry.ts";
import type { RoleCredentialProvider } from "../../src/aws/roleCredentials.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { definedOnly } from "../../src/util/optional.ts";

const sdkError = (name: string, status = 400) => Object.assign(new Error(`${name} from AWS`), { name, $metadata: { httpStatusCode: status } });

function fakeProvider() {
  const invalidated: { reason: string; mark: number }[] = [];
  let marks = 0;
  const provider = Object.assign(async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" }), {
    memoized: true as const,
    roleArn: "arn:aws:iam::111111111111:role/reader",
    mark: () => ++marks,
    invalidate: (reason: string, mark: number) => void invalidated.push({ reason, mark }),
  }) satisfies RoleCredentialProvider;
  return { provider, invalidated };
}

/** A call answering with `answers` in turn (an Error is thrown), counting its attempts. */
function scripted(...answers: unknown[]) {
  const s = {
    attempts: 0,
    call: async () => {
      const a = answers[Math.min(s.attempts++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return s;
}

const ctx = { operation: "ReceiveMessage", resourceArn: "arn:aws:sqs:us-east-1:111111111111:q" };

describe("awsCaller: auth retry", () => {
  it.each(["ExpiredToken", "ExpiredTokenException", "InvalidToken", "RequestExpired"])(
    "%s: invalidates the credentials once and retries once",
    async (code) => {
      const { provider, invalidated } = fakeProvider();
      const call = scripted(sdkError(code, 403), "ok");
      expect(await awsCaller({ provider, disableAuthRetry: false, log: silentLogger() })(ctx, call.call)).toBe("ok");
      expect(call.attempts).toBe(2);
      expect(invalidated).toEqual([{ reason: `ReceiveMessage answered ${code}`, mark: 1 }]);
    },
  );

  it("a second token error is not retried again: two attempts, then the explained error", async () => {
    const { provider, invalidated } = fakeProvider();
    const call = scripted(sdkError("ExpiredToken", 403));
    const err = await awsCaller({ provider, disableAuthRetry: false, log: silentLogger() })(ctx, call.call).catch((e: unknown) => e);
    expect(call.attempts).toBe(2);
    expect(invalidated).toHaveLength(1);
    expect(err).toBeInstanceOf(AwsAuthError);
  });

  it.each([
    ["AccessDenied", sdkError("AccessDenied", 403)],
    ["a throttling error", sdkError("ThrottlingException")],
    ["a network error", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
  ])("%s is not retried and invalidates nothing", async (_name, error) => {
    const { provider, invalidated } = fakeProvider();
    const call = scripted(error, "ok");
    await expect(awsCaller({ provider, disableAuthRetry: false, log: silentLogger() })(ctx, call.call)).rejects.toBeDefined();
    expect(call.attempts).toBe(1);
    expect(invalidated).toEqual([]);
  });

  it.each([
    ["disableAuthRetry", true, true],
    ["no role (long-term keys cannot be refreshed)", false, false],
  ])("no retry with %s", async (_name, disableAuthRetry, withRole) => {
    const { provider, invalidated } = fakeProvider();
    const call = scripted(sdkError("ExpiredToken", 403), "ok");
    const caller = awsCaller({ ...(withRole ? { provider } : {}), disableAuthRetry, log: silentLogger() });
    await expect(caller(ctx, call.call)).rejects.toBeDefined();
    expect(call.attempts).toBe(1);
    expect(invalidated).toEqual([]);
  });
});

describe("awsCaller: which error comes out", () => {
  const caller = (withRole: boolean) =>
    awsCaller(definedOnly({ provider: withRole ? fakeProvider().provider : undefined, disableAuthRetry: false, log: silentLogger() }));
  const failing = (err: unknown) => () => Promise.reject(err);

  it("an auth failure names the operation, the resource and the role of the provider", async () => {
    const err = await caller(true)(ctx, failing(sdkError("AccessDenied", 403))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsAuthError);
    expect((err as AwsAuthError).code).toBe("AccessDenied");
    expect((err as Error).message).toMatch(
      /^ReceiveMessage on arn:aws:sqs:us-east-1:111111111111:q failed \(AccessDenied\): role arn:aws:iam::111111111111:role\/reader is not allowed to sqs:ReceiveMessage/,
    );
  });

  it("without a role the message says the base credentials", async () => {
    const err = await caller(false)(ctx, failing(sdkError("AccessDenied", 403))).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/failed \(AccessDenied\): the base credentials are not allowed to sqs:ReceiveMessage/);
  });

  it("a missing queue comes out as AwsServiceError, not as an auth error", async () => {
    const err = await caller(true)(ctx, failing(sdkError("QueueDoesNotExist"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsServiceError);
    expect((err as Error).message).toContain('queue "q" does not exist in us-east-1');
  });

  it.each([
    ["AwsAuthError", () => new AwsAuthError("explained already", "AccessDenied", undefined)],
    ["AwsServiceError", () => new AwsServiceError("explained already", "NoSuchBucket", undefined)],
    ["AssumeRoleError", () => new AssumeRoleError({ roleArn: "arn:aws:iam::1:role/r", durationSeconds: 900 }, sdkError("AccessDenied", 403))],
  ])("an %s passes through as it is", async (_name, make) => {
    const explained = make();
    const bucketCtx = { operation: "HeadBucket", resourceArn: "arn:aws:s3:::logs" };
    await expect(caller(true)(bucketCtx, failing(explained))).rejects.toBe(explained);
  });

  it("an AssumeRoleError the SDK wrapped comes out unwrapped", async () => {
    const assumeErr = new AssumeRoleError({ roleArn: "arn:aws:iam::1:role/r", durationSeconds: 900 }, sdkError("AccessDenied", 403));
    const wrapper = Object.assign(new Error("Could not load credentials"), { name: "CredentialsProviderError", cause: assumeErr });
    await expect(caller(true)(ctx, failing(wrapper))).rejects.toBe(assumeErr);
  });

  it.each([
    ["a throttling error", sdkError("ThrottlingException")],
    ["a network error", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["undefined", undefined],
    ["null", null],
  ])("%s passes through untouched", async (_name, error) => {
    await expect(caller(true)(ctx, failing(error))).rejects.toBe(error);
  });
});
