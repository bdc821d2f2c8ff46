import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigText } from "../../src/config/load.ts";
import type { Settings } from "../../src/config/settings.ts";
import { Daemon } from "../../src/daemon.ts";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { registerSecret } from "../../src/logging/redact.ts";
import { startAuthProxy, type AuthProxy } from "../support/authProxy.ts";
import {
  createBucket,
  createQueue,
  putObject,
  queueDepth,
  readFileOutput,
  sendBodies,
  startTestAws,
  tempDir,
  waitFor,
  writeConfig,
  type TestAws,
} from "../support/aws.ts";
import { spawnS3beat } from "../support/child.ts";
import { startStsFake, type StsFake } from "../support/sts.ts";

// Account B runs s3beat with a user that may only assume roles of account A, which owns the queues and buckets.
const BASE = { accessKeyId: "AKIABASEUSER0000TEST", secretAccessKey: "base/Secret+Key0123456789abcdefghijklmno", arn: "arn:aws:iam::222222222222:user/s3beat" };
const ROLE_A = "arn:aws:iam::111111111111:role/reader-a";
const ROLE_B = "arn:aws:iam::111111111111:role/reader-b";
const ROLE_NO_GET = "arn:aws:iam::111111111111:role/reader-without-getobject";
const EXTERNAL_ID = "ext-7f3a9c21";

/** Every log line (and CLI output) of every scenario, checked for secrets at the end. */
const transcript: string[] = [];

function capture(level = "info") {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level,
    format: "json",
    destination: new Writable({
      write(chunk, _e, cb) {
        transcript.push(String(chunk));
        for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  });
  return { log, lines };
}

describe("cross-account access through AssumeRole (real SDK, STS endpoint of our own, auth-checking proxy)", () => {
  let aws: TestAws;
  let sts: StsFake;
  let proxy: AuthProxy;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let queueA: string;
  let queueB: string;

  beforeAll(async () => {
    aws = await startTestAws();
    sts = await startStsFake({ account: "111111111111" });
    proxy = await startAuthProxy({ upstream: aws.endpoint, sts, account: "111111111111" });
    dir = await tempDir();
    sts.addUser(BASE);
    for (const role of [ROLE_A, ROLE_B, ROLE_NO_GET])
      sts.addRole({ arn: role, trustedUserArns: [BASE.arn], externalId: EXTERNAL_ID, maxSessionDurationSeconds: 3600 });
    proxy.allow(ROLE_A, [
      { actions: ["sqs:*"], resources: ["queue-a"] },
      { actions: ["s3:GetObject", "s3:ListBucket"], resources: ["bucket-a", "bucket-a/*"] },
    ]);
    proxy.allow(ROLE_B, [
      { actions: ["sqs:*"], resources: ["queue-b"] },
      { actions: ["s3:GetObject"], resources: ["bucket-b/*"] },
    ]);
    proxy.allow(ROLE_NO_GET, [
      { actions: ["sqs:*"], resources: ["queue-a", "queue-nog"] },
      { actions: ["s3:ListBucket"], resources: ["bucket-a"] },
    ]);
    registerSecret(BASE.secretAccessKey);
    await createBucket(aws, "bucket-a");
    await createBucket(aws, "bucket-b");
    queueA = (await createQueue(aws, "queue-a")).url;
    queueB = (await createQueue(aws, "queue-b")).url;
  });
  afterAll(async () => {
    await proxy?.stop();
    await sts?.stop();
    await aws?.stop();
    await dir?.remove();
  });

  function yaml(opts: { queues: string[]; roles?: string[]; extra?: string[]; out: string; assume?: boolean }): string {
    return [
      "s3beat:",
      `  sqsQueues: [${opts.queues.map((q) => `"${q}"`).join(", ")}]`,
      `  accessKeyID: ${BASE.accessKeyId}`,
      `  secretAccessKey: "${BASE.secretAccessKey}"`,
      `  assumeRoleFlag: ${opts.assume ?? true}`,
      `  roleArn: [${(opts.roles ?? []).map((r) => `"${r}"`).join(", ")}]`,
      `  externalId: ${EXTERNAL_ID}`,
      `  endpoints: { sqs: "${proxy.endpoint}", s3: "${proxy.endpoint}", sts: "${sts.endpoint}" }`,
      "  sqsWaitTime: 1s",
      ...(opts.extra ?? []).map((l) => `  ${l}`),
      ...((opts.extra ?? []).some((l) => l.startsWith("retryBackoff.init")) ? [] : ["  retryBackoff.init: 1s"]),
      `output.file: { path: ${opts.out} }`,
      "logging.metrics.period: 0",
      "",
    ].join("\n");
  }
  const settingsOf = (text: string): Settings => loadConfigText(text, "test.yml").settings;
  // Queue URLs go through the proxy: same path, the proxy's host.
  const viaProxy = (url: string) => `${proxy.endpoint}${new URL(url).pathname}`;
  /**
   * A queue of the test's own that ROLE_A may use, as its URL through the proxy. Not queue-a: the
   * receive a stopped daemon aborted stays open on the server for up to sqsWaitTime and takes the
   * next message sent there, which then stays hidden for the queue's 30 s visibility timeout.
   */
  async function ownQueue(name: string) {
    const { url } = await createQueue(aws, name);
    proxy.allow(ROLE_A, [{ actions: ["sqs:*"], resources: [name] }]);
    return { url, ref: viaProxy(url) };
  }

  it("ingests with the assumed role only, each queue (and its bucket) with its own role", async () => {
    await putObject(aws, "bucket-a", "a/one.log", "a1\na2\n");
    await putObject(aws, "bucket-b", "b/one.log", "b1\nb2\nb3\n");
    await sendBodies(aws, queueA, [s3Notification([{ bucket: "bucket-a", key: "a/one.log", size: 6 }])]);
    await sendBodies(aws, queueB, [s3Notification([{ bucket: "bucket-b", key: "b/one.log", size: 9 }])]);
    const out = `${dir.path}/two-roles`;
    const from = proxy.requests.length;
    const stsFrom = sts.calls.length;
    const { log } = capture();
    const daemon = new Daemon(settingsOf(yaml({ queues: ["queue-a:us-east-1", "queue-b:us-east-1"], roles: [ROLE_A, ROLE_B], out })), { log });
    await daemon.start();
    try {
      await waitFor("both messages deleted", () => daemon.stats.messagesDeleted === 2);
    } finally {
      await daemon.stop("test done");
    }
    const { events } = await readFileOutput(out);
    expect(events.map((e) => e.message).sort()).toEqual(["a1", "a2", "b1", "b2", "b3"]);

    const reqs = proxy.requests.slice(from);
    expect(reqs.length).toBeGreaterThan(4);
    expect(reqs.every((r) => r.outcome === "forwarded")).toBe(true);
    // Never the base keys: every S3 and SQS request carried a session of the queue's own role.
    expect(reqs.filter((r) => r.accessKeyId === BASE.accessKeyId)).toEqual([]);
    for (const r of reqs) {
      const want = r.resource.startsWith("queue-a") || r.resource.startsWith("bucket-a") ? ROLE_A : ROLE_B;
      expect({ resource: r.resource, role: r.roleArn }).toEqual({ resource: r.resource, role: want });
      expect(r.sessionToken).toBeTruthy();
    }
    expect(new Set(reqs.filter((r) => r.service === "s3").map((r) => r.roleArn))).toEqual(new Set([ROLE_A, ROLE_B]));
    const assumed = sts.calls.slice(stsFrom);
    expect(assumed.map((c) => [c.roleArn, c.outcome, c.externalId, c.roleSessionName]).sort()).toEqual([
      [ROLE_A, "ok", EXTERNAL_ID, "s3beat"],
      [ROLE_B, "ok", EXTERNAL_ID, "s3beat"],
    ]);
  });

  it("without assumeRoleFlag uses the base keys and never calls STS", async () => {
    proxy.allowBaseKey(BASE.accessKeyId);
    await putObject(aws, "bucket-a", "plain/x.log", "p1\n");
    const { url } = await createQueue(aws, "queue-plain");
    await sendBodies(aws, url, [s3Notification([{ bucket: "bucket-a", key: "plain/x.log", size: 3 }])]);
    const stsFrom = sts.calls.length;
    const from = proxy.requests.length;
    const out = `${dir.path}/plain`;
    const daemon = new Daemon(settingsOf(yaml({ queues: [viaProxy(url)], roles: [ROLE_A], assume: false, out })), { log: capture().log });
    await daemon.start();
    try {
      await waitFor("the message deleted", () => daemon.stats.messagesDeleted === 1);
    } finally {
      await daemon.stop("test done");
    }
    expect(sts.calls.length).toBe(stsFrom);
    expect(proxy.requests.slice(from).every((r) => r.accessKeyId === BASE.accessKeyId && !r.sessionToken)).toBe(true);
    expect((await readFileOutput(out)).events.map((e) => e.message)).toEqual(["p1"]);
  });

  it("keeps ingesting across several credential expiries with one AssumeRole per session, shared by S3 and SQS", async () => {
    sts.credentialLifetimeSeconds = 4;
    try {
      const from = proxy.requests.length;
      const stsFrom = sts.calls.length;
      const out = `${dir.path}/expiries`;
      const queue = await ownQueue("queue-expiries");
      const daemon = new Daemon(settingsOf(yaml({ queues: [queue.ref], roles: [ROLE_A], out, extra: ["maxMessagesInFlight: 4"] })), {
        log: capture().log,
      });
      await daemon.start();
      let sent = 0;
      try {
        // A steady trickle for ~13 s: three lifetimes of 4 s, so at least two expiries are crossed.
        const until = Date.now() + 13_000;
        while (Date.now() < until) {
          const key = `trickle/${sent}.log`;
          await putObject(aws, "bucket-a", key, `t${sent}\n`);
          await sendBodies(aws, queue.url, [s3Notification([{ bucket: "bucket-a", key, size: 3 }])]);
          sent++;
          await new Promise((r) => setTimeout(r, 400));
        }
        await waitFor("every message deleted", () => daemon.stats.messagesDeleted === sent, 30_000);
      } finally {
        await daemon.stop("test done");
      }
      const reqs = proxy.requests.slice(from).filter((r) => r.roleArn === ROLE_A);
      // Not one request failed, whatever the expiries.
      expect(reqs.filter((r) => r.outcome !== "forwarded")).toEqual([]);
      expect(daemon.stats).toMatchObject({ messagesRetried: 0, objectsFailed: 0, receiveErrors: 0 });
      expect((await readFileOutput(out)).events).toHaveLength(sent);

      const calls = sts.calls.slice(stsFrom).filter((c) => c.roleArn === ROLE_A);
      const sessions = new Set(reqs.map((r) => r.sessionToken));
      expect(calls.every((c) => c.outcome === "ok")).toBe(true);
      expect(sessions.size).toBeGreaterThanOrEqual(3); // at least two expiries crossed
      // One AssumeRole per session: not one per client (S3 and SQS share it) nor per request.
      expect(calls.length).toBe(sessions.size);
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThan(2000);
      const sharedByBoth = [...sessions].filter(
        (t) => reqs.some((r) => r.sessionToken === t && r.service === "s3") && reqs.some((r) => r.sessionToken === t && r.service === "sqs"),
      );
      expect(sharedByBoth.length).toBeGreaterThanOrEqual(2);
    } finally {
      sts.credentialLifetimeSeconds = undefined;
    }
  });

  it("an ExpiredToken answer forces one refresh and one retry, and nothing fails", async () => {
    const out = `${dir.path}/forced`;
    const queue = await ownQueue("queue-forced");
    const { log, lines } = capture();
    const daemon = new Daemon(settingsOf(yaml({ queues: [queue.ref], roles: [ROLE_A], out })), { log });
    await daemon.start();
    try {
      await putObject(aws, "bucket-a", "forced/1.log", "f1\n");
      await sendBodies(aws, queue.url, [s3Notification([{ bucket: "bucket-a", key: "forced/1.log", size: 3 }])]);
      await waitFor("first message", () => daemon.stats.messagesDeleted === 1);
      const stsFrom = sts.calls.length;
      const from = proxy.requests.length;
      sts.expireSessionsOf(ROLE_A); // revoked server-side: the next request gets ExpiredToken
      await putObject(aws, "bucket-a", "forced/2.log", "f2\n");
      await sendBodies(aws, queue.url, [s3Notification([{ bucket: "bucket-a", key: "forced/2.log", size: 3 }])]);
      await waitFor("second message", () => daemon.stats.messagesDeleted === 2, 20_000);
      expect(proxy.requests.slice(from).some((r) => r.outcome === "ExpiredToken")).toBe(true);
      expect(sts.calls.slice(stsFrom).filter((c) => c.outcome === "ok")).toHaveLength(1);
    } finally {
      await daemon.stop("test done");
    }
    expect(daemon.stats).toMatchObject({ messagesRetried: 0, objectsFailed: 0 });
    expect(lines.some((l) => /credentials of .*reader-a invalidated \(.* answered ExpiredToken\)/.test(String(l.message)))).toBe(true);
    expect((await readFileOutput(out)).events.map((e) => e.message)).toEqual(["f1", "f2"]);
  });

  it("with disableAuthRetry, an ExpiredToken answer is not retried and is reported with its fix", async () => {
    const queue = await ownQueue("queue-noretry");
    const out = `${dir.path}/noretry`;
    const { log, lines } = capture();
    const daemon = new Daemon(settingsOf(yaml({ queues: [queue.ref], roles: [ROLE_A], out, extra: ["disableAuthRetry: true"] })), { log });
    await daemon.start();
    try {
      await waitFor("a first receive", () => proxy.requests.some((r) => r.resource === "queue-noretry" && r.outcome === "forwarded"));
      const stsFrom = sts.calls.length;
      const from = proxy.requests.length;
      sts.expireSessionsOf(ROLE_A);
      await waitFor("the ExpiredToken to be reported", () => daemon.stats.receiveErrors >= 1, 20_000);
      const answered = proxy.requests.slice(from).filter((r) => r.resource === "queue-noretry");
      // Exactly the failing request, and no forced AssumeRole right after it.
      expect(answered.map((r) => r.outcome)).toEqual(["ExpiredToken"]);
      expect(sts.calls.length).toBe(stsFrom);
    } finally {
      await daemon.stop("test done");
    }
    const report = lines.find((l) => String(l.message).startsWith("ReceiveMessage failed"));
    expect(report?.message).toMatch(
      /ReceiveMessage on arn:aws:sqs:us-east-1:\d+:queue-noretry failed \(ExpiredToken\): the temporary credentials of arn:aws:iam::111111111111:role\/reader-a are expired or invalid/,
    );
    expect(lines.some((l) => String(l.message).includes("invalidated"))).toBe(false);
  });

  it.each([
    {
      row: "AccessDenied on AssumeRole (wrong ExternalId)",
      change: (y: string) => y.replace(`externalId: ${EXTERNAL_ID}`, "externalId: not-the-right-one"),
      want: /sts:AssumeRole on arn:aws:iam::111111111111:role\/reader-a failed \(AccessDenied\): .*\(1\) the role ARN is mistyped or the role does not exist.*\(4\) the configured externalId does not match the sts:ExternalId condition.*Fix: .*check the role's trust policy principal .*externalId/,
    },
    {
      row: "InvalidClientTokenId (unknown base key)",
      change: (y: string) => y.replace(BASE.accessKeyId, "AKIAUNKNOWNUSER00000"),
      want: /failed \(InvalidClientTokenId\): STS rejected the base credentials.*Fix: rotate or update the base keys.*system clock/,
    },
    {
      row: "SignatureDoesNotMatch (wrong secret)",
      change: (y: string) => y.replace(BASE.secretAccessKey, "wrong/Secret+Key0123456789abcdefghijklmn"),
      want: /failed \(SignatureDoesNotMatch\): STS rejected the base credentials.*Fix: rotate or update the base keys.*NTP/,
    },
    {
      row: "DurationSeconds exceeds MaxSessionDuration",
      change: (y: string) => y.replace("  sqsWaitTime: 1s", "  sqsWaitTime: 1s\n  sessionDuration: 2h"),
      want: /failed \(ValidationError\): sessionDuration \(2h\) exceeds the role's MaxSessionDuration\. Fix: lower sessionDuration or raise the role's maximum session duration/,
    },
    {
      row: "AccessDenied on SQS after a successful AssumeRole (role of another queue)",
      change: (y: string) => y.replace(`roleArn: ["${ROLE_A}"]`, `roleArn: ["${ROLE_B}"]`),
      want: /GetQueueUrl on arn:aws:sqs:us-east-1:\*:queue-a failed \(AccessDenied\): role arn:aws:iam::111111111111:role\/reader-b is not allowed to sqs:GetQueueUrl .*Fix: allow "sqs:GetQueueUrl" on "arn:aws:sqs:us-east-1:\*:queue-a" in the policy of role/,
    },
  ])("$row: the daemon refuses to start and says what to fix", async ({ change, want }) => {
    const daemon = new Daemon(settingsOf(change(yaml({ queues: ["queue-a:us-east-1"], roles: [ROLE_A], out: `${dir.path}/never` }))), { log: capture().log });
    const err = await daemon.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await daemon.stop("test done");
    transcript.push(String(err?.message));
    expect(err?.name).toBe("StartupError");
    expect(err?.message).toMatch(
      /^no queue can be used \(1 of 1 failed\):\n- queue "queue-a:us-east-1" \(region us-east-1, endpoint http:\/\/127\.0\.0\.1:\d+, as role arn:aws:iam::111111111111:role\/reader-[ab]\) cannot be used: /,
    );
    expect(err?.message).toMatch(want);
  });

  it("AccessDenied on S3 after a successful AssumeRole names the missing action and resource", async () => {
    const { url } = await createQueue(aws, "queue-nog");
    await putObject(aws, "bucket-a", "nog/x.log", "x\n");
    await sendBodies(aws, url, [s3Notification([{ bucket: "bucket-a", key: "nog/x.log", size: 2 }])]);
    const { log, lines } = capture();
    const daemon = new Daemon(settingsOf(yaml({ queues: [viaProxy(url)], roles: [ROLE_NO_GET], out: `${dir.path}/nog`, extra: ["retryBackoff.init: 5m"] })), {
      log,
    });
    await daemon.start();
    try {
      await waitFor("the object to fail", () => daemon.stats.objectsFailed === 1);
    } finally {
      await daemon.stop("test done");
    }
    const line = lines.find((l) => l.key === "nog/x.log" && l["log.level"] === "error");
    expect(line?.message).toMatch(
      /GetObject on arn:aws:s3:::bucket-a\/nog\/x\.log failed \(AccessDenied\): role arn:aws:iam::111111111111:role\/reader-without-getobject is not allowed to s3:GetObject .* Fix: allow "s3:GetObject" on "arn:aws:s3:::bucket-a\/nog\/x\.log" in the policy of role/,
    );
    // Not deleted: it waits for the fix (then the dead-letter queue).
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 1 });
  });

  describe("s3beat check (the real CLI)", () => {
    async function check(name: string, roles: string[], extra: (y: string) => string = (y) => y, args: string[] = ["--bucket", "bucket-a"]) {
      const cfg = await writeConfig(dir.path, extra(yaml({ queues: ["queue-a:us-east-1"], roles, out: `${dir.path}/check` })), `${name}.yml`);
      const child = spawnS3beat(["check", "-c", cfg, ...args]);
      const { code } = await child.exited;
      transcript.push(child.stdout(), child.stderr());
      return { code, out: child.stdout() };
    }

    beforeAll(async () => {
      await putObject(aws, "bucket-a", "a/sample.log", "s\n");
    });

    it("reports ok for a correct setup", async () => {
      const { code, out } = await check("ok", [ROLE_A]);
      expect(out).toMatch(/^ok +sts:AssumeRole arn:aws:iam::111111111111:role\/reader-a — session s3beat, with externalId, expires /m);
      expect(out).toMatch(/^ok +sqs:GetQueueUrl queue-a/m);
      expect(out).toMatch(/^ok +sqs:GetQueueAttributes queue-a — .*dead-letter queue queue-a-dlq after 5 receives/m);
      expect(out).toMatch(/^ok +s3:HeadBucket bucket-a/m);
      expect(out).toMatch(/^ok +s3:ListObjectsV2 bucket-a .* sample key /m);
      expect(out).toMatch(/^ok +s3:GetObject s3:\/\/bucket-a\//m);
      expect(out).not.toMatch(/FAILED/);
      expect(out).toContain("all checks passed");
      expect(code).toBe(0);
    });

    it("names the failing step and its fix for a wrong ExternalId", async () => {
      const { code, out } = await check("extid", [ROLE_A], (y) => y.replace(`externalId: ${EXTERNAL_ID}`, "externalId: wrong-external-id"));
      expect(out).toMatch(
        /^FAILED +sts:AssumeRole arn:aws:iam::111111111111:role\/reader-a — .*AccessDenied.*Fix: .*check the role's trust policy principal .*externalId/m,
      );
      expect(out).toMatch(/^skipped +sqs:GetQueueUrl, sqs:GetQueueAttributes queue-a — because the role could not be assumed/m);
      expect(code).toBe(1);
    });

    it("names the failing step and its fix for a role without s3:GetObject", async () => {
      const { code, out } = await check("noget", [ROLE_NO_GET]);
      expect(out).toMatch(/^ok +sts:AssumeRole /m);
      expect(out).toMatch(/^ok +s3:ListObjectsV2 bucket-a/m);
      expect(out).toMatch(
        /^FAILED +s3:GetObject s3:\/\/bucket-a\/\S+ as arn:aws:iam::111111111111:role\/reader-without-getobject — .*Fix: allow "s3:GetObject" on "arn:aws:s3:::bucket-a\//m,
      );
      expect(code).toBe(1);
    });

    it("without --bucket lists the S3 steps as skipped", async () => {
      const { code, out } = await check("nobucket", [ROLE_A], (y) => y, []);
      expect(out).toMatch(/^skipped +s3:HeadBucket, s3:ListObjectsV2, s3:GetObject — no --bucket given/m);
      expect(code).toBe(0);
    });
  });

  it("no access key, secret key or session token appears in any log line or output of these scenarios", () => {
    const text = transcript.join("\n");
    expect(text.length).toBeGreaterThan(1000);
    const secrets = [BASE.secretAccessKey, "wrong/Secret+Key0123456789abcdefghijklmn"];
    for (const call of sts.calls) {
      const s = sts.sessionFor(call.accessKeyId);
      if (s) secrets.push(s.accessKeyId, s.secretAccessKey, s.sessionToken);
    }
    for (const r of proxy.requests) if (r.sessionToken) secrets.push(r.sessionToken, r.accessKeyId);
    expect(secrets.length).toBeGreaterThan(6);
    for (const s of new Set(secrets)) expect(text.includes(s), `a secret (${s.slice(0, 4)}…) leaked`).toBe(false);
  });
});
