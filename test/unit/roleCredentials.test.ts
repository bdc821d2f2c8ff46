/**
 * The shared role credential provider with a fake AssumeRole and a clock the test moves (its `now`
 * parameter): refreshed before expiry, one AssumeRole for concurrent callers, invalidation by mark.
 */
import { describe, expect, it } from "vitest";
import type { AwsCredentialIdentity } from "@smithy/types";
import { AssumeRoleError } from "../../src/aws/authErrors.ts";
import { createRoleCredentialProvider } from "../../src/aws/roleCredentials.ts";
import { silentLogger } from "../../src/logging/logger.ts";

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
