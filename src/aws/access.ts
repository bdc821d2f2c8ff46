import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Logger } from "pino";
import type { S3BeatSettings } from "../config/settings.ts";
import { awsCaller, type AwsCaller } from "./authRetry.ts";
import { baseCredentials, createS3Client, createSqsClient } from "./clients.ts";
import { createRoleCredentialProvider, type RoleCredentialProvider, type RoleObserver } from "./roleCredentials.ts";
import { definedOnly } from "../util/optional.ts";

/** Everything a queue talks to AWS with: its role (if any), its clients and its auth policy. */
export interface QueueAccess {
  roleArn?: string;
  provider?: RoleCredentialProvider;
  caller: AwsCaller;
  sqs: SQSClient;
  /** The S3 client for objects in `region`, with the same credentials as the queue. */
  s3For(region: string): S3Client;
}

/** The role of the queue at `index`: one ARN serves every queue, otherwise one per queue in order. */
export function roleForQueue(settings: Pick<S3BeatSettings, "assumeRoleFlag" | "roleArns">, index: number): string | undefined {
  if (!settings.assumeRoleFlag || settings.roleArns.length === 0) return undefined;
  return settings.roleArns.length === 1 ? settings.roleArns[0] : settings.roleArns[index];
}

/**
 * Builds the AWS clients of every queue. With assumeRoleFlag, each role gets ONE credential
 * provider, shared by the SQS and S3 clients of every queue that uses the role, so the role is
 * assumed once per session however many clients and requests there are.
 */
export class AwsAccess {
  readonly #settings: S3BeatSettings;
  readonly #log: Logger;
  readonly #providers = new Map<string, RoleCredentialProvider>();
  readonly #s3 = new Map<string, S3Client>();
  readonly #clients: { destroy(): void }[] = [];
  readonly #observer: RoleObserver | undefined;

  constructor(settings: S3BeatSettings, log: Logger, observer?: RoleObserver) {
    this.#settings = settings;
    this.#log = log;
    this.#observer = observer;
  }

  /** The roles in use so far, each once. */
  get roles(): string[] {
    return [...this.#providers.keys()];
  }

  /** The role's provider; its STS endpoint is regional (the region of the first queue that uses it). */
  providerFor(roleArn: string, region: string): RoleCredentialProvider {
    let p = this.#providers.get(roleArn);
    if (!p) {
      const s = this.#settings;
      p = createRoleCredentialProvider(
        {
          roleArn,
          roleSessionName: s.roleSessionName,
          durationSeconds: s.sessionDurationSeconds,
          region,
          ...definedOnly({ externalId: s.externalId || undefined, stsEndpoint: s.endpoints.sts || undefined }),
        },
        baseCredentials(s),
        this.#log,
        { observer: this.#observer },
      );
      this.#providers.set(roleArn, p);
    }
    return p;
  }

  forQueue(index: number, region: string): QueueAccess {
    const s = this.#settings;
    const roleArn = roleForQueue(s, index);
    const provider = roleArn ? this.providerFor(roleArn, region) : undefined;
    const credentials = provider ?? baseCredentials(s);
    const sqs = this.#track(createSqsClient(s, region, credentials));
    const caller = awsCaller(definedOnly({ provider, disableAuthRetry: s.disableAuthRetry, log: this.#log }));
    const s3For = (objectRegion: string) => {
      const key = `${roleArn ?? ""}|${objectRegion}`;
      let c = this.#s3.get(key);
      if (!c) this.#s3.set(key, (c = this.#track(createS3Client(s, objectRegion, credentials))));
      return c;
    };
    return definedOnly({ roleArn, provider, caller, sqs, s3For });
  }

  /** Closes every client's sockets (a stopped beat must not be held open by keep-alive connections). */
  destroy(): void {
    for (const c of this.#clients) c.destroy();
  }

  #track<T extends { destroy(): void }>(client: T): T {
    this.#clients.push(client);
    return client;
  }
}
