import { SQSClient } from "@aws-sdk/client-sqs";
import { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { S3BeatSettings } from "../config/settings.ts";
import { definedOnly } from "../util/optional.ts";

/** Credentials for one queue's clients: undefined means the SDK default chain. */
export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;

export function baseCredentials(settings: S3BeatSettings): Credentials {
  if (settings.awsFlag) return undefined;
  if (settings.accessKeyId !== undefined && settings.secretAccessKey !== undefined) {
    return { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
  }
  return undefined;
}

/**
 * The socket idle timeout must outlast a 20 s long poll, and still catch a stalled object download
 * or a call that never answers (this SDK's requestTimeout no longer does: it stops at the headers).
 */
export const requestHandler = () => new NodeHttpHandler({ connectionTimeout: 10_000, socketTimeout: 60_000 });

export function createSqsClient(settings: S3BeatSettings, region: string, credentials: Credentials): SQSClient {
  return new SQSClient({
    region,
    credentials,
    ...definedOnly({ endpoint: settings.endpoints.sqs || undefined }),
    requestHandler: requestHandler(),
  });
}

export function createS3Client(settings: S3BeatSettings, region: string, credentials: Credentials): S3Client {
  return new S3Client({
    region,
    credentials,
    forcePathStyle: settings.s3ForcePathStyle,
    // A bucket in another region than the client's answers with a redirect; follow it.
    followRegionRedirects: true,
    ...definedOnly({ endpoint: settings.endpoints.s3 || undefined }),
    requestHandler: requestHandler(),
  });
}
