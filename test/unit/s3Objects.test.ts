/** S3ObjectGetter with a fake S3 client: the GetObject request, the client of the object's region, the caller around it, and a missing body. */
import type { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { AwsCaller } from "../../src/aws/authRetry.ts";
import type { CallContext } from "../../src/aws/authErrors.ts";
import { S3ObjectGetter } from "../../src/objects/s3Objects.ts";

interface Sent {
  region: string;
  command: string;
  input: unknown;
  abortSignal: AbortSignal | undefined;
}

/** A fake S3 client per region: records each command and answers `answer(input)`. */
function fakeClients(answer: (input: { Bucket: string; Key: string }) => unknown) {
  const sent: Sent[] = [];
  const clientFor = (region: string) =>
    ({
      send: async (command: { input: { Bucket: string; Key: string } }, options?: { abortSignal?: AbortSignal }) => {
        sent.push({ region, command: command.constructor.name, input: command.input, abortSignal: options?.abortSignal });
        return answer(command.input);
      },
    }) as unknown as S3Client;
  return { sent, clientFor };
}

/** A caller that records the context of each call and runs it (as the real one does when nothing fails). */
function recordingCaller() {
  const contexts: CallContext[] = [];
  const caller: AwsCaller = async (ctx, call) => {
    contexts.push(ctx);
    return call();
  };
  return { contexts, caller };
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

const ref = { bucket: "logs-bucket", key: "AWSLogs/2024/01/app.log.gz", region: "eu-west-1", size: 10 };

describe("S3ObjectGetter.getObject", () => {
  it("sends GetObject for the bucket and key to the client of the object's region, with the signal", async () => {
    const { sent, clientFor } = fakeClients(() => ({
      Body: (async function* () {
        yield Buffer.from("hello ");
        yield Buffer.from("world");
      })(),
    }));
    const { contexts, caller } = recordingCaller();
    const signal = new AbortController().signal;
    const body = await new S3ObjectGetter(clientFor, caller).getObject(ref, signal);
    expect(await text(body)).toBe("hello world");
    expect(sent).toEqual([
      { region: "eu-west-1", command: "GetObjectCommand", input: { Bucket: "logs-bucket", Key: "AWSLogs/2024/01/app.log.gz" }, abortSignal: signal },
    ]);
    expect(contexts).toEqual([{ operation: "GetObject", resourceArn: "arn:aws:s3:::logs-bucket/AWSLogs/2024/01/app.log.gz" }]);
  });

  it("each object goes to its own region's client", async () => {
    const { sent, clientFor } = fakeClients(() => ({ Body: [] }));
    const getter = new S3ObjectGetter(clientFor, recordingCaller().caller);
    const signal = new AbortController().signal;
    await getter.getObject({ ...ref, region: "us-east-1" }, signal);
    await getter.getObject({ ...ref, region: "ap-southeast-2", key: "other" }, signal);
    expect(sent.map((s) => [s.region, (s.input as { Key: string }).Key])).toEqual([
      ["us-east-1", "AWSLogs/2024/01/app.log.gz"],
      ["ap-southeast-2", "other"],
    ]);
  });

  it("goes through the caller: its error is what the getter throws", async () => {
    const { sent, clientFor } = fakeClients(() => {
      throw Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    });
    const explained = new Error("s3:GetObject on arn:aws:s3:::logs-bucket/... was denied");
    const caller: AwsCaller = async (_ctx, call) => {
      try {
        return await call();
      } catch {
        throw explained;
      }
    };
    const err = await new S3ObjectGetter(clientFor, caller).getObject(ref, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBe(explained);
    expect(sent).toHaveLength(1);
  });

  it("a NoSuchKey answer comes out as is, for the reader to drop the notification", async () => {
    const gone = Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    const { clientFor } = fakeClients(() => {
      throw gone;
    });
    const err = await new S3ObjectGetter(clientFor, recordingCaller().caller).getObject(ref, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBe(gone);
  });

  it("an answer without a body is an error", async () => {
    const { clientFor } = fakeClients(() => ({ $metadata: { httpStatusCode: 200 } }));
    await expect(new S3ObjectGetter(clientFor, recordingCaller().caller).getObject(ref, new AbortController().signal)).rejects.toThrow(
      new Error("GetObject returned no body"),
    );
  });
});
