import { createHash, randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type AssumeRoleCommandInput } from "@aws-sdk/client-sts";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { startEmulator, type Emulator } from "../../src/demo/emulator.ts";
import { startAuthProxy, type AuthProxy } from "../support/authProxy.ts";
import { startStsFake, type StsFake } from "../support/sts.ts";

const REGION = "us-east-1";
const ACCOUNT = "111122223333";
const ALICE = { accessKeyId: "AKIAALICE00000000001", secretAccessKey: "alice/secret+key0000000000000000000000001", arn: `arn:aws:iam::${ACCOUNT}:user/alice` };
const BOB = { accessKeyId: "AKIABOB0000000000002", secretAccessKey: "bob/secret+key00000000000000000000000002", arn: `arn:aws:iam::${ACCOUNT}:user/bob` };
const CAROL = { accessKeyId: "AKIACAROL00000000003", secretAccessKey: "carol/secret+key0000000000000000000000003", arn: `arn:aws:iam::${ACCOUNT}:user/carol` };
/** Not an STS user: the proxy accepts it as a long-term key for test setup. */
const ADMIN = { accessKeyId: "AKIAADMIN00000000000", secretAccessKey: "admin-secret" };
const READER = `arn:aws:iam::${ACCOUNT}:role/s3beat-reader`;
const PARTNER = `arn:aws:iam::${ACCOUNT}:role/partner`;
const NO_GET = `arn:aws:iam::${ACCOUNT}:role/no-get`;
const BUCKET = "sts-logs";
const QUEUE = "sts-queue";
const MB = 1024 * 1024;

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let emulator: Emulator;
let relay: Relay;
let sts: StsFake;
let proxy: AuthProxy;
let queueUrl: string;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  emulator = await startEmulator();
  relay = await startRelay(emulator.endpoint);
  sts = await startStsFake({ account: ACCOUNT });
  proxy = await startAuthProxy({ upstream: relay.endpoint, sts });
  sts.addUser(ALICE);
  sts.addUser(BOB);
  sts.addUser({ ...CAROL, disabled: true });
  sts.addRole({ arn: READER, trustedUserArns: [ALICE.arn, CAROL.arn] });
  sts.addRole({ arn: PARTNER, trustedUserArns: [ALICE.arn], externalId: "partner-ext-7", maxSessionDurationSeconds: 7200 });
  sts.addRole({ arn: NO_GET, trustedUserArns: [ALICE.arn] });
  proxy.allowBaseKey(ADMIN.accessKeyId);
  proxy.allow(READER, [
    { actions: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], resources: [BUCKET, `${BUCKET}/*`] },
    { actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"], resources: [QUEUE] },
  ]);
  proxy.allow(NO_GET, [
    { actions: ["s3:PutObject", "s3:ListBucket"], resources: [BUCKET, `${BUCKET}/*`] },
    { actions: ["sqs:SendMessage"], resources: [QUEUE] },
  ]);
  const admin = aws(ADMIN);
  await admin.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  queueUrl = (await admin.sqs.send(new CreateQueueCommand({ QueueName: QUEUE }))).QueueUrl!;
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.stop();
  await relay?.stop();
  await sts?.stop();
  await emulator?.stop();
});

function stsClient(credentials: Creds): STSClient {
  const c = new STSClient({ region: REGION, endpoint: sts.endpoint, credentials });
  clients.push(c);
  return c;
}

/** S3 and SQS clients pointed at the proxy. */
function aws(credentials: Creds | ReturnType<typeof fromTemporaryCredentials>): { s3: S3Client; sqs: SQSClient } {
  const s3 = new S3Client({ region: REGION, endpoint: proxy.endpoint, credentials });
  const sqs = new SQSClient({ region: REGION, endpoint: proxy.endpoint, credentials });
  clients.push(s3, sqs);
  return { s3, sqs };
}

async function assume(roleArn: string, sessionName: string, extra: Partial<AssumeRoleCommandInput> = {}): Promise<Creds> {
  const out = await stsClient(ALICE).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ...extra }));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

const lastCall = () => sts.calls.at(-1);
const lastRequest = () => proxy.requests.at(-1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("STS fake through @aws-sdk/client-sts", () => {
  it("issues STS-shaped temporary credentials for a trusted user", async () => {
    const before = Date.now();
    const out = await stsClient(ALICE).send(new AssumeRoleCommand({ RoleArn: READER, RoleSessionName: "sess-1", DurationSeconds: 900 }));
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(c.SecretAccessKey).toHaveLength(40);
    expect(c.SessionToken!.length).toBeGreaterThan(300);
    // Expiration is reported in whole seconds, rounded down.
    expect(c.Expiration!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 899_000);
    expect(c.Expiration!.getTime()).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(out.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/s3beat-reader/sess-1`,
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z0-9]{17}:sess-1$/),
    });
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lastCall()).toMatchObject({ accessKeyId: ALICE.accessKeyId, roleArn: READER, roleSessionName: "sess-1", durationSeconds: 900, outcome: "ok" });
    const session = sts.sessionFor(c.AccessKeyId!)!;
    expect(session).toMatchObject({ secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, roleArn: READER, roleSessionName: "sess-1" });
    expect(session.expiresAt - session.issuedAt).toBe(900_000);
    expect(session.expired()).toBe(false);

    const me = await stsClient({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(me).toMatchObject({ Arn: out.AssumedRoleUser!.Arn, Account: ACCOUNT, UserId: out.AssumedRoleUser!.AssumedRoleId });
  });

  it("defaults DurationSeconds to 3600", async () => {
    const { accessKeyId } = await assume(READER, "default-duration");
    const s = sts.sessionFor(accessKeyId)!;
    expect(s.expiresAt - s.issuedAt).toBe(3_600_000);
    expect(lastCall()).toMatchObject({ durationSeconds: 3600, outcome: "ok" });
  });

  it("rejects an unknown key and a disabled user with InvalidClientTokenId", async () => {
    for (const creds of [{ accessKeyId: "AKIANOBODY0000000000", secretAccessKey: "x" }, CAROL]) {
      await expect(stsClient(creds).send(new AssumeRoleCommand({ RoleArn: READER, RoleSessionName: "nope" }))).rejects.toMatchObject({
        name: "InvalidClientTokenId",
        Code: "InvalidClientTokenId",
        message: "The security token included in the request is invalid.",
        $fault: "client",
        $metadata: { httpStatusCode: 403, attempts: 1 },
      });
      expect(lastCall()).toMatchObject({ accessKeyId: creds.accessKeyId, outcome: "InvalidClientTokenId" });
    }
  });

  it("rejects a wrong secret with SignatureDoesNotMatch, which the SDK does not retry", async () => {
    await expect(
      stsClient({ ...ALICE, secretAccessKey: BOB.secretAccessKey }).send(new AssumeRoleCommand({ RoleArn: READER, RoleSessionName: "nope" })),
    ).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
      message: expect.stringMatching(/^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key/),
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    expect(lastCall()).toMatchObject({ accessKeyId: ALICE.accessKeyId, outcome: "SignatureDoesNotMatch" });
  });

  it("denies an untrusted user and a missing or wrong ExternalId with AccessDenied", async () => {
    const denied = (who: string, role: string) => ({
      name: "AccessDenied",
      message: `User: ${who} is not authorized to perform: sts:AssumeRole on resource: ${role}`,
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    await expect(stsClient(BOB).send(new AssumeRoleCommand({ RoleArn: READER, RoleSessionName: "bob" }))).rejects.toMatchObject(denied(BOB.arn, READER));
    expect(lastCall()).toMatchObject({ accessKeyId: BOB.accessKeyId, outcome: "AccessDenied" });

    await expect(stsClient(ALICE).send(new AssumeRoleCommand({ RoleArn: PARTNER, RoleSessionName: "no-ext" }))).rejects.toMatchObject(
      denied(ALICE.arn, PARTNER),
    );
    expect(lastCall()).toMatchObject({ outcome: "AccessDenied" });
    expect(lastCall()).not.toHaveProperty("externalId");

    await expect(
      stsClient(ALICE).send(new AssumeRoleCommand({ RoleArn: PARTNER, RoleSessionName: "bad-ext", ExternalId: "partner-ext-8" })),
    ).rejects.toMatchObject(denied(ALICE.arn, PARTNER));
    expect(lastCall()).toMatchObject({ externalId: "partner-ext-8", outcome: "AccessDenied" });

    await assume(PARTNER, "good-ext", { ExternalId: "partner-ext-7", DurationSeconds: 7200 });
    expect(lastCall()).toMatchObject({ externalId: "partner-ext-7", durationSeconds: 7200, outcome: "ok" });
  });

  it("validates DurationSeconds and RoleSessionName with ValidationError", async () => {
    const cases: Array<[Partial<AssumeRoleCommandInput>, string]> = [
      [{ DurationSeconds: 3601 }, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."],
      [
        { DurationSeconds: 899 },
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      ],
      [
        { DurationSeconds: 43201 },
        "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
      ],
      [
        { RoleSessionName: "has space" },
        "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      ],
    ];
    for (const [input, message] of cases) {
      await expect(stsClient(ALICE).send(new AssumeRoleCommand({ RoleArn: READER, RoleSessionName: "valid", ...input }))).rejects.toMatchObject({
        name: "ValidationError",
        message,
        $metadata: { httpStatusCode: 400, attempts: 1 },
      });
      expect(lastCall()).toMatchObject({ outcome: "ValidationError", durationSeconds: input.DurationSeconds ?? 3600 });
    }
  });
});

describe("auth proxy in front of fauxqs", () => {
  it("forwards SQS for a base key and for a granted role, and logs who did what", async () => {
    const creds = await assume(READER, "sqs-worker");
    const { sqs } = aws(creds);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "hello via role" }));
    expect(lastRequest()).toEqual({
      at: expect.any(Number),
      service: "sqs",
      action: "sqs:SendMessage",
      resource: QUEUE,
      accessKeyId: creds.accessKeyId,
      roleArn: READER,
      sessionToken: creds.sessionToken,
      outcome: "forwarded",
    });
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["hello via role"]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }));
    expect(proxy.requests.slice(-2).map((r) => [r.action, r.resource, r.outcome])).toEqual([
      ["sqs:ReceiveMessage", QUEUE, "forwarded"],
      ["sqs:DeleteMessage", QUEUE, "forwarded"],
    ]);
    // The queue itself was created with the base key in beforeAll: no role, no token.
    expect(proxy.requests.find((r) => r.action === "sqs:CreateQueue")).toEqual({
      at: expect.any(Number),
      service: "sqs",
      action: "sqs:CreateQueue",
      resource: QUEUE,
      accessKeyId: ADMIN.accessKeyId,
      outcome: "forwarded",
    });
  });

  it("forwards S3 puts and gets, and streams a 20 MB object", async () => {
    const creds = await assume(READER, "s3-worker");
    const { s3 } = aws(creds);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "dir/a b.log", Body: "line 1\n" }));
    expect(lastRequest()).toMatchObject({ service: "s3", action: "s3:PutObject", resource: `${BUCKET}/dir/a b.log`, roleArn: READER, outcome: "forwarded" });
    const small = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "dir/a b.log" }));
    expect(await small.Body!.transformToString()).toBe("line 1\n");
    expect(lastRequest()).toMatchObject({ action: "s3:GetObject", resource: `${BUCKET}/dir/a b.log`, outcome: "forwarded" });

    // Multipart through the proxy: create, parts and complete all count as s3:PutObject.
    const big = randomBytes(20 * MB);
    const n0 = proxy.requests.length;
    await new Upload({ client: s3, params: { Bucket: BUCKET, Key: "big.bin", Body: big }, partSize: 5 * MB, queueSize: 2 }).done();
    const uploads = proxy.requests.slice(n0);
    expect(uploads.length).toBeGreaterThanOrEqual(6); // create + 4 parts + complete
    expect(new Set(uploads.map((r) => `${r.action} ${r.resource} ${r.outcome}`))).toEqual(new Set([`s3:PutObject ${BUCKET}/big.bin forwarded`]));

    // Hold the upstream's response at half the object: a streaming proxy already delivers the first
    // bytes; a buffering one would not even send the headers.
    const r0 = relay.received;
    relay.holdAfter(10 * MB);
    let body: Readable;
    const hash = createHash("sha256");
    let received = 0;
    try {
      const got = await withTimeout(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "big.bin" })), 10_000, "GetObject headers while upstream is held");
      expect(got.ContentLength).toBe(20 * MB);
      body = got.Body as Readable;
      const firstMegabyte = new Promise<void>((resolve) =>
        body.on("data", (chunk: Buffer) => {
          hash.update(chunk);
          received += chunk.length;
          if (received >= MB) resolve();
        }),
      );
      await withTimeout(firstMegabyte, 10_000, "first MB of the body while upstream is held");
      expect(relay.received - r0).toBeLessThan(20 * MB);
    } finally {
      relay.release(); // also on failure, or every later request through the relay stalls
    }
    await finished(body);
    expect(received).toBe(20 * MB);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(big).digest("hex"));
  });

  it("answers ExpiredToken once credentialLifetimeSeconds have passed, and the SDK does not retry it", async () => {
    sts.credentialLifetimeSeconds = 2;
    let creds: Creds;
    try {
      creds = await assume(READER, "short-lived", { DurationSeconds: 3600 });
    } finally {
      sts.credentialLifetimeSeconds = undefined;
    }
    const session = sts.sessionFor(creds.accessKeyId)!;
    expect(session.expiresAt - session.issuedAt).toBe(2000);
    const { s3, sqs } = aws(creds);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "short.log", Body: "x" }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    const presigned = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: "short.log" }), { expiresIn: 600 });
    const live = await fetch(presigned);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe("x");
    // Presigned: key id and token come from the query string.
    expect(lastRequest()).toMatchObject({ action: "s3:GetObject", accessKeyId: creds.accessKeyId, sessionToken: creds.sessionToken, outcome: "forwarded" });

    await sleep(session.expiresAt - Date.now() + 50);
    expect(session.expired()).toBe(true);
    await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "short.log" }))).rejects.toMatchObject({
      name: "ExpiredToken",
      Code: "ExpiredToken",
      message: "The provided token has expired.",
      $metadata: { httpStatusCode: 400, attempts: 1, requestId: expect.stringMatching(/^[0-9A-F]{16}$/) },
    });
    expect(lastRequest()).toMatchObject({ service: "s3", action: "s3:GetObject", roleArn: READER, outcome: "ExpiredToken" });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }))).rejects.toMatchObject({
      name: "ExpiredToken",
      Code: "ExpiredToken",
      message: "The security token included in the request is expired",
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    expect(lastRequest()).toMatchObject({ service: "sqs", action: "sqs:ReceiveMessage", outcome: "ExpiredToken" });
    // S3 sends HEAD errors without a body: the SDK only has the status to go on.
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "short.log" }))).rejects.toMatchObject({
      name: "Unknown",
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    const stale = await fetch(presigned);
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain("<Code>ExpiredToken</Code>");
  });

  it("expireSessionsOf revokes the role's live sessions, not later ones nor other roles'", async () => {
    const first = await assume(READER, "revoked-1");
    const second = await assume(READER, "revoked-2");
    const other = await assume(NO_GET, "bystander");
    sts.expireSessionsOf(READER);
    expect([first, second, other].map((c) => sts.sessionFor(c.accessKeyId)!.expired())).toEqual([true, true, false]);
    await expect(aws(first).s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: "ExpiredToken",
      $metadata: { httpStatusCode: 400 },
    });
    expect(lastRequest()).toMatchObject({ action: "s3:ListBucket", resource: BUCKET, outcome: "ExpiredToken" });
    await expect(stsClient(second).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: "ExpiredToken", $metadata: { httpStatusCode: 403 } });
    await aws(other).s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const fresh = await assume(READER, "after-revocation");
    await aws(fresh).s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(lastRequest()).toMatchObject({ accessKeyId: fresh.accessKeyId, outcome: "forwarded" });
  });

  it("denies what the role was not granted with AccessDenied, as S3 and SQS word it", async () => {
    const creds = await assume(NO_GET, "put-only");
    const { s3, sqs } = aws(creds);
    const who = `arn:aws:sts::${ACCOUNT}:assumed-role/no-get/put-only`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "put-only.log", Body: "y" }));
    await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "put-only.log" }))).rejects.toMatchObject({
      name: "AccessDenied",
      message: `User: ${who} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${BUCKET}/put-only.log" because no identity-based policy allows the s3:GetObject action`,
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    expect(lastRequest()).toMatchObject({ action: "s3:GetObject", resource: `${BUCKET}/put-only.log`, roleArn: NO_GET, outcome: "AccessDenied" });
    // CopyObject is a PutObject that also needs s3:GetObject on its source.
    await expect(s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: "copy.log", CopySource: `${BUCKET}/put-only.log` }))).rejects.toMatchObject({
      name: "AccessDenied",
    });
    expect(lastRequest()).toMatchObject({ action: "s3:GetObject", resource: `${BUCKET}/put-only.log`, outcome: "AccessDenied" });
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }))).rejects.toMatchObject({
      name: "AccessDenied",
      Code: "AccessDenied",
      message: `User: ${who} is not authorized to perform: sqs:receivemessage on resource: arn:aws:sqs:${REGION}:000000000000:${QUEUE} because no identity-based policy allows the sqs:receivemessage action`,
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    expect(lastRequest()).toMatchObject({ service: "sqs", action: "sqs:ReceiveMessage", outcome: "AccessDenied" });
  });

  it("refuses unknown keys and wrong tokens the way each service does, without forwarding", async () => {
    const creds = await assume(READER, "token-check");
    await expect(
      aws({ ...creds, sessionToken: "not-the-token" }).s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "forged.log", Body: "z" })),
    ).rejects.toMatchObject({
      name: "InvalidToken",
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    expect(lastRequest()).toMatchObject({ accessKeyId: creds.accessKeyId, sessionToken: "not-the-token", outcome: "InvalidClientTokenId" });
    expect(lastRequest()).not.toHaveProperty("roleArn");
    const noToken = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
    await expect(aws(noToken).s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "dir/a b.log" }))).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(aws(BOB).sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "from a user key" }))).rejects.toMatchObject({
      name: "InvalidClientTokenId",
      message: "The security token included in the request is invalid.",
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    expect(lastRequest()).toMatchObject({ service: "sqs", accessKeyId: BOB.accessKeyId, outcome: "InvalidClientTokenId" });
    // Nothing reached fauxqs: the forged put left no object behind.
    await expect(aws(ADMIN).s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "forged.log" }))).rejects.toMatchObject({ name: "NotFound" });
  });

  it("SDK credential providers refresh only by the clock: on every use within 5 minutes of expiry, never on ExpiredToken", async () => {
    const provider = () =>
      fromTemporaryCredentials({
        params: { RoleArn: READER, RoleSessionName: "provider" },
        masterCredentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey },
        clientConfig: { region: REGION, endpoint: sts.endpoint },
      });
    const assumeCalls = async (s3: S3Client) => {
      const n0 = sts.calls.length;
      for (let i = 0; i < 3; i++) await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      return sts.calls.slice(n0).filter((c) => c.outcome === "ok").length;
    };
    const longLived = aws(provider()).s3;
    expect(await assumeCalls(longLived)).toBe(1);
    // Refresh is time-based only: after a server-side revocation the provider keeps its dead session.
    sts.expireSessionsOf(READER);
    const n0 = sts.calls.length;
    for (let i = 0; i < 2; i++) {
      await expect(longLived.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({ name: "ExpiredToken", $metadata: { attempts: 1 } });
    }
    expect(sts.calls.length).toBe(n0);
    sts.credentialLifetimeSeconds = 60;
    try {
      expect(await assumeCalls(aws(provider()).s3)).toBeGreaterThanOrEqual(3);
    } finally {
      sts.credentialLifetimeSeconds = undefined;
    }
  });
});

interface Relay {
  endpoint: string;
  /** Bytes received from the upstream so far. */
  readonly received: number;
  /** Stop reading from the upstream once `bytes` more have arrived. */
  holdAfter(bytes: number): void;
  release(): void;
  stop(): Promise<void>;
}

/** A TCP relay to `target` that counts response bytes and can hold them back (to tell streaming from buffering). */
async function startRelay(target: string): Promise<Relay> {
  const port = Number(new URL(target).port);
  let received = 0;
  let holdAt = Infinity;
  const held = new Set<Socket>();
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const up = connect(port, "127.0.0.1");
    for (const s of [client, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(up);
    up.on("data", (d: Buffer) => {
      received += d.length;
      if (!client.write(d)) up.pause();
      if (received >= holdAt) {
        up.pause();
        held.add(up);
      }
    });
    client.on("drain", () => held.has(up) || up.resume());
    up.on("end", () => client.end());
    client.on("error", () => up.destroy());
    up.on("error", () => client.destroy());
    client.on("close", () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: own } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${own}`,
    get received() {
      return received;
    },
    holdAfter(bytes) {
      holdAt = received + bytes;
    },
    release() {
      holdAt = Infinity;
      for (const s of held) s.resume();
      held.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
