import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { AwsCaller } from "../aws/authRetry.ts";
import type { ObjectRef } from "../events/event.ts";

/** The one S3 call the reader needs; the real one wraps an S3Client (per role, per region). */
export interface ObjectGetter {
  /** Streams the object's bytes. Throws an error with `name` NoSuchKey when it is gone. */
  getObject(ref: ObjectRef, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

/** GetObject through the S3 client of a queue's credentials (one client per region). */
export class S3ObjectGetter implements ObjectGetter {
  readonly #clientFor: (region: string) => S3Client;
  readonly #call: AwsCaller;

  constructor(clientFor: (region: string) => S3Client, caller: AwsCaller) {
    this.#clientFor = clientFor;
    this.#call = caller;
  }

  async getObject(ref: ObjectRef, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const out = await this.#call({ operation: "GetObject", resourceArn: `arn:aws:s3:::${ref.bucket}/${ref.key}` }, () =>
      this.#clientFor(ref.region).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }), { abortSignal: signal }),
    );
    if (!out.Body) throw new Error("GetObject returned no body");
    return out.Body as AsyncIterable<Uint8Array>;
  }
}
