/**
 * The shared role credential provider with a fake AssumeRole and a clock the test moves (its `now`
 * parameter): refreshed before expiry, one AssumeRole for concurrent callers, invalidation by mark.
 */
import { captureLogs } from "../support/logCapture.ts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AwsCredentialIdentity } from "@smithy/types";
import { AssumeRoleError } from "../../src/aws/authErrors.ts";
import { createRoleCredentialProvider } from "../../src/aws/roleCredentials.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { fakeStsHttp } from "../support/fakeStsHttp.ts";

const ROLE = { roleArn: "arn:aws:iam::111111111111:role/reader", roleSessionName: "s3beat", durationSeconds: 3600, region: "us-east-1" };
const MIN = 60_000;

/** AssumeRole handing out credentials valid `lifetimeMs` from the clock's now; `hold` keeps the answer until released. */
function setup(lifetimeMs: number) {
  const clock = { now: 1_000_000 };
  const fake = {
    calls: 0,
    hold: undefined as Promise<void> | undefined,
    fail: undefined as Error | undefined,
    refreshed: [] as string[],
    failed: [] as string[],
  };
  const provider = createRoleCredentialProvider(ROLE, undefined, silentLogger(), {
    now: () => clock.now,
    observer: { refreshed: (role) => void fake.refreshed.push(role), failed: (_role, reason) => void fake.failed.push(reason) },
    assume: async (): Promise<AwsCredentialIdentity> => {
      const n = ++fake.calls;
      await fake.hold;
      if (fake.fail) throw fake.fail;
      return { accessKeyId: `ASIA${n}`, secretAccessKey: "secret", sessionToken: "token", expiration: new Date(clock.now + lifetimeMs) };
    },
  });
  return { provider, clock, fake };
}

describe("role credentials: refreshed before they expire", () => {
  // The margin: a quarter of the lifetime, at most five minutes.
  it.each([
    ["1 h credentials", 60 * MIN, 5 * MIN],
    ["15 min credentials", 15 * MIN, 3.75 * MIN],
    ["1 min credentials", MIN, 15_000],
  ])("%s: kept until %s before expiry, then assumed again", async (_name, lifetime, margin) => {
    const { provider, clock, fake } = setup(lifetime);
    const issuedAt = clock.now;
    expect((await provider()).accessKeyId).toBe("ASIA1");
    clock.now = issuedAt + lifetime - margin - 1;
    expect((await provider()).accessKeyId).toBe("ASIA1");
    expect(fake.calls).toBe(1);
    clock.now = issuedAt + lifetime - margin; // still valid for `margin`: refreshed now, not at expiry
    expect((await provider()).accessKeyId).toBe("ASIA2");
    expect(fake.calls).toBe(2);
    expect(fake.refreshed).toEqual([ROLE.roleArn, ROLE.roleArn]);
  });

  it("concurrent callers share one AssumeRole in flight", async () => {
    const { provider, fake } = setup(60 * MIN);
    let release!: () => void;
    fake.hold = new Promise((r) => (release = r));
    const all = Promise.all([provider(), provider(), provider()]);
    await new Promise((r) => setImmediate(r));
    expect(fake.calls).toBe(1);
    release();
    expect(new Set((await all).map((c) => c.accessKeyId))).toEqual(new Set(["ASIA1"]));
    expect(fake.calls).toBe(1);
  });

  it("an expiring refresh is shared too: one AssumeRole for every caller past the margin", async () => {
    const { provider, clock, fake } = setup(60 * MIN);
    await provider();
    clock.now += 56 * MIN;
    let release!: () => void;
    fake.hold = new Promise((r) => (release = r));
    const all = Promise.all([provider(), provider()]);
    await new Promise((r) => setImmediate(r));
    release();
    expect((await all).map((c) => c.accessKeyId)).toEqual(["ASIA2", "ASIA2"]);
    expect(fake.calls).toBe(2);
  });

  it("invalidate(mark) forces one new AssumeRole; an older mark does not force another", async () => {
    const { provider, fake } = setup(60 * MIN);
    const before = provider.mark(); // a request started before the first credentials were fetched
    await provider();
    const first = provider.mark(); // requests that used ASIA1
    const second = provider.mark();
    provider.invalidate("ReceiveMessage answered ExpiredToken", second);
    provider.invalidate("ReceiveMessage answered ExpiredToken", first); // failed together: covered
    expect((await provider()).accessKeyId).toBe("ASIA2");
    provider.invalidate("late answer", before);
    expect((await provider()).accessKeyId).toBe("ASIA2");
    expect(fake.calls).toBe(2);
  });

  it("a failed AssumeRole comes out explained, and is told to the observer", async () => {
    const { provider, fake } = setup(60 * MIN);
    fake.fail = Object.assign(new Error("User is not authorized to perform: sts:AssumeRole"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(provider()).rejects.toBeInstanceOf(AssumeRoleError);
    expect(fake.failed).toHaveLength(1);
    expect(fake.failed[0]).toContain(ROLE.roleArn);
  });
});

describe("role credentials: what operators read and edge cases", () => {
  it("logs each AssumeRole with the role, the session and the expiry", async () => {
    const { log, lines } = captureLogs();
    const expiration = new Date("2031-05-06T07:08:09.000Z");
    const provider = createRoleCredentialProvider(ROLE, undefined, log, {
      now: () => expiration.getTime() - 60 * MIN,
      assume: async () => ({ accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s", expiration }),
    });
    await provider();
    expect(lines).toMatchObject([
      {
        level: 30,
        roleArn: ROLE.roleArn,
        roleSessionName: "s3beat",
        expiration: "2031-05-06T07:08:09.000Z",
        msg: `assumed role ${ROLE.roleArn} (session s3beat) until 2031-05-06T07:08:09.000Z`,
      },
    ]);
  });

  it("credentials without an expiry are kept, and the log says so", async () => {
    const { log, lines } = captureLogs();
    let calls = 0;
    const provider = createRoleCredentialProvider(ROLE, undefined, log, {
      assume: async () => ({ accessKeyId: `ASIA${++calls}`, secretAccessKey: "s" }),
    });
    expect((await provider()).accessKeyId).toBe("ASIA1");
    expect((await provider()).accessKeyId).toBe("ASIA1");
    expect(calls).toBe(1);
    expect(lines[0]?.msg).toBe(`assumed role ${ROLE.roleArn} (session s3beat) until no expiry`);
    expect(lines[0]).not.toHaveProperty("expiration");
  });

  it("works without an observer, on success and on failure", async () => {
    let fail = false;
    const provider = createRoleCredentialProvider(ROLE, undefined, silentLogger(), {
      assume: async () => {
        if (fail) throw Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
        return { accessKeyId: "ASIA1", secretAccessKey: "s", expiration: new Date(Date.now() + 60 * MIN) };
      },
    });
    expect((await provider()).accessKeyId).toBe("ASIA1");
    fail = true;
    provider.invalidate("test", provider.mark());
    await expect(provider()).rejects.toBeInstanceOf(AssumeRoleError);
  });

  it("invalidate warns once per new mark, with the role and the reason", async () => {
    const { log, lines } = captureLogs();
    const provider = createRoleCredentialProvider(ROLE, undefined, log, { assume: async () => ({ accessKeyId: "ASIA1", secretAccessKey: "s" }) });
    await provider();
    lines.length = 0;
    const a = provider.mark();
    const b = provider.mark();
    provider.invalidate("GetObject answered ExpiredToken", b);
    provider.invalidate("GetObject answered ExpiredToken", b);
    provider.invalidate("ReceiveMessage answered ExpiredToken", a);
    expect(lines).toMatchObject([
      {
        level: 40,
        roleArn: ROLE.roleArn,
        reason: "GetObject answered ExpiredToken",
        msg: `credentials of ${ROLE.roleArn} invalidated (GetObject answered ExpiredToken); assuming the role again`,
      },
    ]);
  });
});

describe("role credentials: the sts:AssumeRole request (the SDK's, answered by a fake HTTP handler)", () => {
  const BASE = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
  let sts: ReturnType<typeof fakeStsHttp>;
  beforeEach(() => {
    sts = fakeStsHttp();
  });
  afterEach(() => {
    sts.restore();
    vi.unstubAllEnvs();
  });

  it("goes to the role's regional STS with the role, session and duration, signed with the base credentials", async () => {
    const provider = createRoleCredentialProvider({ ...ROLE, region: "eu-central-1", durationSeconds: 1800 }, BASE, silentLogger());
    expect(await provider()).toMatchObject({ accessKeyId: "ASIAFAKE1EXAMPLE", sessionToken: "fake-token-1" });
    expect(sts.requests).toEqual([
      {
        protocol: "https:",
        host: "sts.eu-central-1.amazonaws.com",
        port: undefined,
        params: { Action: "AssumeRole", Version: "2011-06-15", RoleArn: ROLE.roleArn, RoleSessionName: "s3beat", DurationSeconds: "1800" },
        signedWith: BASE.accessKeyId,
        signingRegion: "eu-central-1",
        handler: { connectionTimeout: 10_000, socketTimeout: 60_000 },
      },
    ]);
  });

  it("sends the externalId and uses a custom STS endpoint", async () => {
    const provider = createRoleCredentialProvider({ ...ROLE, externalId: "ext-7", stsEndpoint: "http://sts.local:4566" }, BASE, silentLogger());
    await provider();
    expect(sts.requests[0]).toMatchObject({ protocol: "http:", host: "sts.local", port: 4566, params: { ExternalId: "ext-7" } });
  });

  it("without base credentials the SDK's default chain signs (here the environment)", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAENVFODNN7EXAMPLE");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-env-secret");
    await createRoleCredentialProvider(ROLE, undefined, silentLogger())();
    expect(sts.requests[0]?.signedWith).toBe("AKIAENVFODNN7EXAMPLE");
  });

  it("base credentials win over the environment", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAENVFODNN7EXAMPLE");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-env-secret");
    await createRoleCredentialProvider(ROLE, BASE, silentLogger())();
    expect(sts.requests[0]?.signedWith).toBe(BASE.accessKeyId);
  });
});
