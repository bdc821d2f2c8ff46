/**
 * roleForQueue, AwsAccess (src/aws/access.ts) and the client factories (src/aws/clients.ts), read from
 * the real SDK clients' resolved config: regions, endpoints, path style, timeouts, the credentials of
 * each queue (base keys or its role's, one AssumeRole per role however many clients), S3 clients
 * cached per role and region, the auth policy of each queue's caller, and destroy() closing every
 * client. AssumeRole is answered by a fake HTTP handler (test/support/fakeStsHttp.ts): no network.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { captureLogs } from "../support/logCapture.ts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AwsAccess, roleForQueue } from "../../src/aws/access.ts";
import { AwsAuthError } from "../../src/aws/authErrors.ts";
import { baseCredentials, createS3Client, createSqsClient, requestHandler } from "../../src/aws/clients.ts";
import type { S3BeatSettings } from "../../src/config/settings.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { fakeStsHttp } from "../support/fakeStsHttp.ts";

const KEY = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ENV_KEY = "AKIAENVFODNN7EXAMPLE";
const ROLE_A = "arn:aws:iam::111111111111:role/reader-a";
const ROLE_B = "arn:aws:iam::222222222222:role/reader-b";

/** The settings AwsAccess and the client factories read; the rest of S3BeatSettings is not used. */
function settings(over: Partial<S3BeatSettings> = {}): S3BeatSettings {
  const used: Partial<S3BeatSettings> = {
    awsFlag: false,
    accessKeyId: KEY,
    secretAccessKey: SECRET,
    assumeRoleFlag: false,
    roleArns: [],
    sessionDurationSeconds: 3600,
    roleSessionName: "s3beat-test",
    disableAuthRetry: false,
    endpoints: {},
    s3ForcePathStyle: false,
  };
  return { ...used, ...over } as S3BeatSettings;
}

type AnyClient = SQSClient | S3Client;
const regionOf = (c: AnyClient) => c.config.region();
const keyOf = async (c: AnyClient) => (await c.config.credentials()).accessKeyId;
const endpointOf = async (c: AnyClient) => (c.config.endpoint ? await c.config.endpoint() : undefined);
/** The NodeHttpHandler's settings (resolved lazily by the SDK; `configProvider` holds them). */
const handlerOf = async (c: AnyClient) => {
  const h = c.config.requestHandler as unknown as { configProvider: Promise<{ connectionTimeout?: number; socketTimeout?: number }> };
  expect(h).toBeInstanceOf(NodeHttpHandler);
  const cfg = await h.configProvider;
  return { connectionTimeout: cfg.connectionTimeout, socketTimeout: cfg.socketTimeout };
};

const expired = () => Object.assign(new Error("The provided token has expired."), { name: "ExpiredToken", $metadata: { httpStatusCode: 403 } });
/** A call that fails with ExpiredToken `failures` times, then answers "ok". */
function flaky(failures: number) {
  const s = { attempts: 0, call: async () => (++s.attempts <= failures ? Promise.reject(expired()) : "ok") };
  return s;
}
const CTX = { operation: "ReceiveMessage", resourceArn: "arn:aws:sqs:eu-west-1:111111111111:events" };

describe("roleForQueue", () => {
  it.each([
    { label: "no assumeRoleFlag", flag: false, roles: [ROLE_A], index: 0, want: undefined },
    { label: "the flag without any role", flag: true, roles: [], index: 0, want: undefined },
    { label: "one role serves queue 0", flag: true, roles: [ROLE_A], index: 0, want: ROLE_A },
    { label: "one role serves every queue", flag: true, roles: [ROLE_A], index: 3, want: ROLE_A },
    { label: "one role per queue: first", flag: true, roles: [ROLE_A, ROLE_B], index: 0, want: ROLE_A },
    { label: "one role per queue: second", flag: true, roles: [ROLE_A, ROLE_B], index: 1, want: ROLE_B },
    { label: "more queues than roles", flag: true, roles: [ROLE_A, ROLE_B], index: 2, want: undefined },
  ])("$label", ({ flag, roles, index, want }) => {
    expect(roleForQueue({ assumeRoleFlag: flag, roleArns: roles }, index)).toBe(want);
  });
});

describe("baseCredentials", () => {
  it.each([
    { label: "both keys", over: {}, want: { accessKeyId: KEY, secretAccessKey: SECRET } },
    { label: "awsFlag: the SDK's default chain even with keys", over: { awsFlag: true }, want: undefined },
    { label: "no secret", over: { secretAccessKey: undefined }, want: undefined },
    { label: "no key id", over: { accessKeyId: undefined }, want: undefined },
    { label: "no keys", over: { accessKeyId: undefined, secretAccessKey: undefined }, want: undefined },
  ])("$label", ({ over, want }) => {
    expect(baseCredentials(settings(over))).toEqual(want);
  });
});

describe("client factories", () => {
  const creds = { accessKeyId: KEY, secretAccessKey: SECRET };

  it("SQS: the region, the credentials and AWS's own endpoint when none is set", async () => {
    const c = createSqsClient(settings(), "eu-west-1", creds);
    expect(await regionOf(c)).toBe("eu-west-1");
    expect(await keyOf(c)).toBe(KEY);
    expect(c.config.isCustomEndpoint).toBe(false);
    expect(await endpointOf(c)).toBeUndefined();
  });

  it("SQS: endpoints.sqs", async () => {
    const c = createSqsClient(settings({ endpoints: { sqs: "http://sqs.local:4566", s3: "http://s3.local:9000" } }), "eu-west-1", creds);
    expect(c.config.isCustomEndpoint).toBe(true);
    expect(await endpointOf(c)).toMatchObject({ protocol: "http:", hostname: "sqs.local", port: 4566 });
  });

  it("S3: the region, the credentials, region redirects followed, virtual-hosted style by default", async () => {
    const c = createS3Client(settings(), "ap-southeast-2", creds);
    expect(await regionOf(c)).toBe("ap-southeast-2");
    expect(await keyOf(c)).toBe(KEY);
    expect(c.config.followRegionRedirects).toBe(true);
    expect(c.config.forcePathStyle).toBe(false);
    expect(c.config.isCustomEndpoint).toBe(false);
    expect(await endpointOf(c)).toBeUndefined();
  });

  it("S3: endpoints.s3 and s3ForcePathStyle", async () => {
    const c = createS3Client(
      settings({ s3ForcePathStyle: true, endpoints: { sqs: "http://sqs.local:4566", s3: "http://minio.local:9000/base" } }),
      "us-east-1",
      creds,
    );
    expect(c.config.forcePathStyle).toBe(true);
    expect(c.config.isCustomEndpoint).toBe(true);
    expect(await endpointOf(c)).toMatchObject({ protocol: "http:", hostname: "minio.local", port: 9000, path: "/base" });
  });

  it("every client gets its own handler with a 10 s connect and a 60 s socket idle timeout", async () => {
    const sqs = createSqsClient(settings(), "eu-west-1", creds);
    const s3 = createS3Client(settings(), "eu-west-1", creds);
    expect(sqs.config.requestHandler).not.toBe(s3.config.requestHandler);
    for (const c of [sqs, s3]) expect(await handlerOf(c)).toEqual({ connectionTimeout: 10_000, socketTimeout: 60_000 });
    const h = requestHandler() as unknown as { configProvider: Promise<{ connectionTimeout?: number; socketTimeout?: number }> };
    expect(await h.configProvider).toMatchObject({ connectionTimeout: 10_000, socketTimeout: 60_000 });
  });
});

describe("AwsAccess without roles", () => {
  it("the queue's SQS and S3 clients use the base keys in their own regions", async () => {
    const access = new AwsAccess(settings(), silentLogger());
    const qa = access.forQueue(0, "eu-west-1");
    expect(await regionOf(qa.sqs)).toBe("eu-west-1");
    expect(await keyOf(qa.sqs)).toBe(KEY);
    const s3 = qa.s3For("us-west-2");
    expect(await regionOf(s3)).toBe("us-west-2");
    expect(await keyOf(s3)).toBe(KEY);
    expect(qa).not.toHaveProperty("roleArn");
    expect(qa).not.toHaveProperty("provider");
    expect(access.roles).toEqual([]);
  });

  it("the endpoints and path style reach the queue's clients", async () => {
    const access = new AwsAccess(settings({ s3ForcePathStyle: true, endpoints: { sqs: "http://sqs.local:4566", s3: "http://s3.local:9000" } }), silentLogger());
    const qa = access.forQueue(0, "eu-west-1");
    expect(await endpointOf(qa.sqs)).toMatchObject({ hostname: "sqs.local", port: 4566 });
    expect(await endpointOf(qa.s3For("eu-west-1"))).toMatchObject({ hostname: "s3.local", port: 9000 });
    expect(qa.s3For("eu-west-1").config.forcePathStyle).toBe(true);
  });

  describe("awsFlag", () => {
    beforeEach(() => {
      vi.stubEnv("AWS_ACCESS_KEY_ID", ENV_KEY);
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-env-secret");
    });
    afterEach(() => void vi.unstubAllEnvs());

    it("ignores the configured keys: the SDK's default chain (here the environment) signs", async () => {
      const qa = new AwsAccess(settings({ awsFlag: true }), silentLogger()).forQueue(0, "eu-west-1");
      expect(await keyOf(qa.sqs)).toBe(ENV_KEY);
      expect(await keyOf(qa.s3For("eu-west-1"))).toBe(ENV_KEY);
    });
  });

  it("the caller cannot refresh long-term keys: an ExpiredToken is not retried and comes out explained", async () => {
    const qa = new AwsAccess(settings(), silentLogger()).forQueue(0, "eu-west-1");
    const call = flaky(1);
    const err = await qa.caller(CTX, call.call).catch((e: unknown) => e);
    expect(call.attempts).toBe(1);
    expect(err).toBeInstanceOf(AwsAuthError);
    expect((err as Error).message).toMatch(/ReceiveMessage on arn:aws:sqs:eu-west-1:111111111111:events failed \(ExpiredToken\): the credentials are expired/);
  });
});

describe("AwsAccess with roles", () => {
  let sts: ReturnType<typeof fakeStsHttp>;
  beforeEach(() => {
    sts = fakeStsHttp();
  });
  afterEach(() => sts.restore());

  it("one role for every queue: one provider and one AssumeRole, at the first queue's regional STS, signed with the base keys", async () => {
    const access = new AwsAccess(settings({ assumeRoleFlag: true, roleArns: [ROLE_A], sessionDurationSeconds: 900 }), silentLogger());
    const q0 = access.forQueue(0, "eu-west-1");
    const q1 = access.forQueue(1, "us-east-2");
    expect(q0.roleArn).toBe(ROLE_A);
    expect(q1.roleArn).toBe(ROLE_A);
    expect(q1.provider).toBe(q0.provider);
    expect(access.providerFor(ROLE_A, "ap-south-1")).toBe(q0.provider);
    expect(q0.provider?.roleArn).toBe(ROLE_A);
    const keys = await Promise.all([keyOf(q0.sqs), keyOf(q1.sqs), keyOf(q0.s3For("eu-west-1")), keyOf(q1.s3For("us-west-2"))]);
    expect(keys).toEqual(["ASIAFAKE1EXAMPLE", "ASIAFAKE1EXAMPLE", "ASIAFAKE1EXAMPLE", "ASIAFAKE1EXAMPLE"]);
    expect(await regionOf(q1.sqs)).toBe("us-east-2");
    expect(sts.requests).toHaveLength(1);
    expect(sts.requests[0]).toMatchObject({
      protocol: "https:",
      host: "sts.eu-west-1.amazonaws.com",
      signedWith: KEY,
      signingRegion: "eu-west-1",
      params: { Action: "AssumeRole", RoleArn: ROLE_A, RoleSessionName: "s3beat-test", DurationSeconds: "900" },
      handler: { connectionTimeout: 10_000, socketTimeout: 60_000 },
    });
    expect(sts.requests[0]?.params).not.toHaveProperty("ExternalId");
    expect(access.roles).toEqual([ROLE_A]);
  });

  it("one role per queue: each role is assumed once, with its own credentials", async () => {
    const access = new AwsAccess(settings({ assumeRoleFlag: true, roleArns: [ROLE_A, ROLE_B] }), silentLogger());
    const q0 = access.forQueue(0, "eu-west-1");
    const q1 = access.forQueue(1, "eu-west-1");
    expect([q0.roleArn, q1.roleArn]).toEqual([ROLE_A, ROLE_B]);
    expect(q1.provider).not.toBe(q0.provider);
    expect(await keyOf(q0.sqs)).toBe("ASIAFAKE1EXAMPLE");
    expect(await keyOf(q1.sqs)).toBe("ASIAFAKE2EXAMPLE");
    expect(await keyOf(q0.s3For("eu-west-1"))).toBe("ASIAFAKE1EXAMPLE");
    expect(sts.requests.map((r) => r.params.RoleArn)).toEqual([ROLE_A, ROLE_B]);
    expect(access.roles).toEqual([ROLE_A, ROLE_B]);
  });

  it("externalId and endpoints.sts reach the AssumeRole request", async () => {
    const s = settings({ assumeRoleFlag: true, roleArns: [ROLE_A], externalId: "ext-42", endpoints: { sts: "http://sts.local:4566" } });
    const qa = new AwsAccess(s, silentLogger()).forQueue(0, "eu-west-1");
    await keyOf(qa.sqs);
    expect(sts.requests).toHaveLength(1);
    expect(sts.requests[0]).toMatchObject({ protocol: "http:", host: "sts.local", port: 4566, params: { ExternalId: "ext-42" } });
  });

  it("the role observer hears of every AssumeRole", async () => {
    const refreshed: string[] = [];
    const observer = { refreshed: (role: string) => void refreshed.push(role), failed: () => undefined };
    const qa = new AwsAccess(settings({ assumeRoleFlag: true, roleArns: [ROLE_A] }), silentLogger(), observer).forQueue(0, "eu-west-1");
    await keyOf(qa.sqs);
    expect(refreshed).toEqual([ROLE_A]);
  });

  it("the caller of a role's queue refreshes the role's credentials once on ExpiredToken and retries once", async () => {
    const { log, lines } = captureLogs();
    const qa = new AwsAccess(settings({ assumeRoleFlag: true, roleArns: [ROLE_A] }), log).forQueue(0, "eu-west-1");
    const call = flaky(1);
    expect(await qa.caller(CTX, call.call)).toBe("ok");
    expect(call.attempts).toBe(2);
    expect(lines.filter((l) => l.level === 40)).toMatchObject([{ roleArn: ROLE_A, reason: "ReceiveMessage answered ExpiredToken" }]);
  });

  it("disableAuthRetry: no retry, and the error names the role", async () => {
    const qa = new AwsAccess(settings({ assumeRoleFlag: true, roleArns: [ROLE_A], disableAuthRetry: true }), silentLogger()).forQueue(0, "eu-west-1");
    const call = flaky(1);
    const err = await qa.caller(CTX, call.call).catch((e: unknown) => e);
    expect(call.attempts).toBe(1);
    expect(err).toBeInstanceOf(AwsAuthError);
    expect((err as Error).message).toContain(`the temporary credentials of ${ROLE_A} are expired or invalid`);
  });
});

describe("AwsAccess: S3 clients and destroy()", () => {
  it("one S3 client per role and region, shared by the queues", async () => {
    // Queues 0 and 1 have roles A and B; queue 2 has none (more queues than roles).
    const access = new AwsAccess(settings({ assumeRoleFlag: true, roleArns: [ROLE_A, ROLE_B] }), silentLogger());
    const [a, b, none] = [access.forQueue(0, "eu-west-1"), access.forQueue(1, "eu-west-1"), access.forQueue(2, "eu-west-1")];
    const noneToo = access.forQueue(3, "eu-west-1"); // no role either
    expect(none.roleArn).toBeUndefined();
    expect(a.s3For("eu-west-1")).toBe(a.s3For("eu-west-1"));
    expect(a.s3For("us-east-1")).not.toBe(a.s3For("eu-west-1"));
    expect(await regionOf(a.s3For("us-east-1"))).toBe("us-east-1");
    expect(b.s3For("eu-west-1")).not.toBe(a.s3For("eu-west-1"));
    expect(none.s3For("eu-west-1")).not.toBe(a.s3For("eu-west-1"));
    expect(noneToo.s3For("eu-west-1")).toBe(none.s3For("eu-west-1"));
    expect(await keyOf(none.s3For("eu-west-1"))).toBe(KEY);
  });

  it("the same role on two queues shares its S3 clients", () => {
    const access = new AwsAccess(settings({ assumeRoleFlag: true, roleArns: [ROLE_A] }), silentLogger());
    expect(access.forQueue(1, "us-east-1").s3For("eu-west-1")).toBe(access.forQueue(0, "eu-west-1").s3For("eu-west-1"));
  });

  it("destroy() closes every SQS and S3 client it built, once each", () => {
    const access = new AwsAccess(settings(), silentLogger());
    const q0 = access.forQueue(0, "eu-west-1");
    const q1 = access.forQueue(1, "us-east-1");
    const clients = [q0.sqs, q1.sqs, q0.s3For("eu-west-1"), q0.s3For("us-west-2")];
    expect(q1.s3For("us-west-2")).toBe(clients[3]); // cached: not a new client
    const spies = clients.map((c) => vi.spyOn(c, "destroy"));
    access.destroy();
    expect(spies.map((s) => s.mock.calls.length)).toEqual([1, 1, 1, 1]);
  });
});
