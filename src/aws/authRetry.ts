import type { Logger } from "pino";
import { AssumeRoleError, AwsAuthError, AwsServiceError, errorCode, explainServiceError, isTokenError, type CallContext } from "./authErrors.ts";
import type { RoleCredentialProvider } from "./roleCredentials.ts";
import { definedOnly } from "../util/optional.ts";

/** Runs one AWS call with the auth policy of DESIGN §5. */
export type AwsCaller = <T>(ctx: CallContext, call: () => Promise<T>) => Promise<T>;

/**
 * The auth policy for one set of credentials: an expired/invalid-token answer to temporary
 * credentials forces a refresh (shared by every client of the role) and exactly one retry, unless
 * disableAuthRetry. Auth failures come out as AwsAuthError/AssumeRoleError whose messages name
 * the action, the resource and the fix; a missing bucket or queue and an answer that was not AWS's
 * XML/JSON come out as AwsServiceError; other errors pass through untouched.
 */
export function awsCaller(opts: { provider?: RoleCredentialProvider; disableAuthRetry: boolean; log: Logger }): AwsCaller {
  return async <T>(ctx: CallContext, call: () => Promise<T>): Promise<T> => {
    const full: CallContext = { ...ctx, ...definedOnly({ roleArn: opts.provider?.roleArn }) };
    const mark = opts.provider?.mark() ?? 0;
    try {
      return await call();
    } catch (first) {
      if (!opts.provider || opts.disableAuthRetry || !isTokenError(first)) throw explain(first, full);
      opts.provider.invalidate(`${ctx.operation} answered ${errorCode(first)}`, mark);
      try {
        return await call();
      } catch (second) {
        throw explain(second, full);
      }
    }
  };
}

function explain(err: unknown, ctx: CallContext): unknown {
  if (err instanceof AssumeRoleError || err instanceof AwsAuthError || err instanceof AwsServiceError) return err;
  // The SDK may wrap a failure of the credential provider; surface the explained one.
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof AssumeRoleError) return cause;
  const explained = explainServiceError(err, ctx);
  if (!explained) return err;
  return explained.auth ? new AwsAuthError(explained.message, explained.code, err) : new AwsServiceError(explained.message, explained.code, err);
}
