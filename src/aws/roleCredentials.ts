import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { memoizeIdentityProvider, doesIdentityRequireRefresh } from "@smithy/core";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Identity } from "@smithy/types";
import type { Logger } from "pino";
import { AssumeRoleError } from "./authErrors.ts";
import { requestHandler } from "./clients.ts";
import { definedOnly } from "../util/optional.ts";

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
  /** A point in this provider's order of events; take it just before a request. */
  mark(): number;
  /**
   * The credentials a request started at `mark` used were refused (ExpiredToken): every credential
   * fetched before that mark counts as expired, so the next call assumes the role again. Requests
   * that were in flight together all fail, but only the first one causes a refresh.
   */
  invalidate(reason: string, mark: number): void;
}

/** Told of every AssumeRole outcome (metrics and readiness). */
export interface RoleObserver {
  refreshed(roleArn: string, expiration: Date | undefined): void;
  /** `reason` is the logged, operator-facing message. */
  failed(roleArn: string, reason: string): void;
}

export interface RoleProviderOptions {
  /** The clock the refresh margin is measured on (tests move it). */
  now?: () => number;
  observer?: RoleObserver;
  /** Tests: stands in for sts:AssumeRole (default: the SDK's fromTemporaryCredentials). */
  assume?: () => Promise<AwsCredentialIdentity>;
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
  opts: RoleProviderOptions = {},
): RoleCredentialProvider {
  const { now = Date.now, observer } = opts;
  const assume =
    opts.assume ??
    fromTemporaryCredentials({
      params: definedOnly({
        RoleArn: role.roleArn,
        RoleSessionName: role.roleSessionName,
        DurationSeconds: role.durationSeconds,
        ExternalId: role.externalId || undefined,
      }),
      ...definedOnly({ masterCredentials: baseCredentials }),
      // A stalled AssumeRole would hold up every caller of the role: the same timeouts as S3 and SQS.
      clientConfig: definedOnly({ region: role.region, requestHandler: requestHandler(), endpoint: role.stsEndpoint || undefined }),
    });
  // A sequence, not a clock: requests and fetches in the same millisecond must still be ordered.
  let sequence = 0;
  let invalidBefore = 0;
  const issued = new WeakMap<AwsCredentialIdentity, { at: number; fetchedAt: number }>();

  const isExpired = (id: AwsCredentialIdentity): boolean => {
    const info = issued.get(id);
    if (!info || info.fetchedAt < invalidBefore) return true;
    if (!id.expiration) return false;
    const lifetime = id.expiration.getTime() - info.at;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetime / 4);
    return id.expiration.getTime() - now() <= margin;
  };

  const fetch = async (): Promise<AwsCredentialIdentity> => {
    const fetchedAt = ++sequence;
    let id: AwsCredentialIdentity;
    try {
      id = await assume();
    } catch (err) {
      const explained = new AssumeRoleError(role, err);
      observer?.failed(role.roleArn, explained.message);
      throw explained;
    }
    issued.set(id, { at: now(), fetchedAt });
    observer?.refreshed(role.roleArn, id.expiration);
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
    mark: () => ++sequence,
    invalidate(reason: string, mark: number) {
      if (mark <= invalidBefore) return; // a refresh after an earlier failure already covers this one
      invalidBefore = mark;
      log.warn({ roleArn: role.roleArn, reason }, `credentials of ${role.roleArn} invalidated (${reason}); assuming the role again`);
    },
  });
  return provider;
}
