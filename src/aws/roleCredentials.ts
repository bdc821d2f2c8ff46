import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { memoizeIdentityProvider, doesIdentityRequireRefresh } from "@smithy/core";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Identity } from "@smithy/types";
import type { Logger } from "pino";
import { AssumeRoleError } from "./authErrors.ts";

export interface RoleSettings {
  roleArn: string;
  roleSessionName: string;
  externalId?: string;
  durationSeconds: number;
  /** Region of the STS endpoint (regional endpoints, as AWS recommends). */
  region: string;
  /** Custom STS endpoint (VPC endpoint, FIPS, tests). */
  stsEndpoint?: string;
}

/**
 * A credential provider for one role, shared by every SQS and S3 client of the queues that use the
 * role. `memoized` tells the SDK clients to use it as-is instead of caching on their own, so one
 * AssumeRole serves them all and a forced refresh reaches them all.
 */
export interface RoleCredentialProvider extends AwsCredentialIdentityProvider {
  readonly memoized: true;
  readonly roleArn: string;
  /** Makes every credential issued so far count as expired: the next call assumes the role again. */
  invalidate(reason: string): void;
}

/** The SDK refreshes five minutes before expiry; short-lived test credentials need a proportional margin. */
const MAX_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Builds the provider on the SDK's fromTemporaryCredentials (which calls sts:AssumeRole) and smithy's
 * memoizeIdentityProvider (which shares one refresh among concurrent callers). Credentials are
 * refreshed a quarter of their lifetime (at most five minutes) before they expire.
 */
export function createRoleCredentialProvider(
  role: RoleSettings,
  baseCredentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined,
  log: Logger,
  now: () => number = Date.now,
): RoleCredentialProvider {
  const assume = fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.roleSessionName,
      DurationSeconds: role.durationSeconds,
      ...(role.externalId ? { ExternalId: role.externalId } : {}),
    },
    ...(baseCredentials ? { masterCredentials: baseCredentials } : {}),
    clientConfig: { region: role.region, ...(role.stsEndpoint ? { endpoint: role.stsEndpoint } : {}) },
  });
  // A generation, not a timestamp: a fetch that started before an invalidation is stale even if it
  // completes after it.
  const issued = new WeakMap<AwsCredentialIdentity, { at: number; generation: number }>();
  let generation = 0;

  const isExpired = (id: AwsCredentialIdentity): boolean => {
    const info = issued.get(id);
    if (!info || info.generation < generation) return true;
    if (!id.expiration) return false;
    const lifetime = id.expiration.getTime() - info.at;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetime / 4);
    return id.expiration.getTime() - now() <= margin;
  };

  const fetch = async (): Promise<AwsCredentialIdentity> => {
    const startedIn = generation;
    let id: AwsCredentialIdentity;
    try {
      id = await assume();
    } catch (err) {
      throw new AssumeRoleError(role, err);
    }
    issued.set(id, { at: now(), generation: startedIn });
    log.info(
      { roleArn: role.roleArn, roleSessionName: role.roleSessionName, expiration: id.expiration?.toISOString() },
      `assumed role ${role.roleArn} (session ${role.roleSessionName}) until ${id.expiration?.toISOString() ?? "no expiry"}`,
    );
    return id;
  };

  const memo = memoizeIdentityProvider(fetch, (id: Identity) => isExpired(id as AwsCredentialIdentity), doesIdentityRequireRefresh);
  if (!memo) throw new Error("unreachable: memoizeIdentityProvider returned no provider");
  const provider = Object.assign(async () => memo(), {
    memoized: true as const,
    roleArn: role.roleArn,
    invalidate(reason: string) {
      generation++;
      log.warn({ roleArn: role.roleArn, reason }, `credentials of ${role.roleArn} invalidated (${reason}); assuming the role again`);
    },
  });
  return provider;
}
