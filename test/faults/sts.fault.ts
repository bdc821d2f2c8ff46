// Fault suite (on demand): the STS endpoint down for a while; credentials expiring mid-object.
// The daemon assumes a role through the project's STS fake; S3 and SQS sit behind the auth proxy,
// which refuses expired sessions as AWS does (ExpiredToken).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthProxy, type AuthProxy } from "../support/authProxy.ts";
import { useTestAws, waitFor } from "../support/aws.ts";
import { corpus, corpusObject, fileOutput, outputLines, Scenario } from "../support/faultHarness.ts";
import { startFaultProxy, type FaultProxy } from "../support/faultProxy.ts";
import { startStsFake, type StsFake } from "../support/sts.ts";
import { printOwnRows } from "../support/tally.ts";

const BUCKET = "faults-sts";
const ACCOUNT = "111111111111";
const BASE = { accessKeyId: "AKIAFAULTSUSER000TST", secretAccessKey: "faults/Secret+Key0123456789abcdefghijklm", arn: "arn:aws:iam::222222222222:user/s3beat" };
const ROLE = "arn:aws:iam::111111111111:role/faults-reader";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("fault suite: STS and credentials", () => {
  const env = useTestAws(BUCKET);
  let sts: StsFake;
  let auth: AuthProxy;
  beforeAll(async () => {
    sts = await startStsFake({ account: ACCOUNT });
    sts.addUser(BASE);
    sts.addRole({ arn: ROLE, trustedUserArns: [BASE.arn] });
    auth = await startAuthProxy({ upstream: env.aws.endpoint, sts, account: ACCOUNT });
    auth.allow(ROLE, [{ actions: ["sqs:*", "s3:*"], resources: ["*"] }]);
  });
  afterAll(async () => {
    await auth?.stop();
    await sts?.stop();
    printOwnRows();
  });

  const roleLines = ["assumeRoleFlag: true", `roleArn: ["${ROLE}"]`];
  const viaAuth = (url: string) => `${auth.endpoint}${new URL(url).pathname}`;

  it("STS refusing connections for 12 s (credentials of 5 s): ingestion stops, then resumes without a restart", async () => {
    const s = await Scenario.create(env, { name: "STS down 12 s (5 s credentials)", slug: "sts-down", bucket: BUCKET });
    const stsProxy: FaultProxy = await startFaultProxy({ upstream: sts.endpoint });
    sts.credentialLifetimeSeconds = 5;
    try {
      const before = corpus("sd1", 8, 500);
      const during = corpus("sd2", 8, 500);
      const after = corpus("sd3", 8, 500);
      await s.add(before);
      await s.upload([...during, ...after]);
      const out = `${s.dir}/out`;
      const d = s.start(
        await s.config({
          queueUrl: viaAuth(s.queue.url),
          sqs: auth.endpoint,
          s3: auth.endpoint,
          sts: stsProxy.endpoint,
          credentials: BASE,
          s3beat: roleLines,
          output: fileOutput(out),
        }),
      );
      await waitFor("the first events", () => outputLines(out) >= 1000, 30_000, 50);
      const down = stsProxy.add({ name: "sts down", service: "sts", fault: { kind: "refuse" } });
      await s.notify(during);
      await sleep(12_000);
      down.remove();
      const linesAtUp = outputLines(out);
      const upAt = Date.now();
      await s.notify(after);
      await waitFor("ingestion to resume", () => outputLines(out) > linesAtUp, 60_000, 50);
      const resumedAfter = (Date.now() - upAt) / 1000;
      await s.waitDrained(90_000);
      expect((await d.stop()).code).toBe(0);
      const { tally } = s.finish(await s.fileMessages(out), `${down.hits} AssumeRole refused; resumed ${resumedAfter.toFixed(1)} s after STS`);
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
      expect(down.hits).toBeGreaterThan(0); // the premise: a refresh fell in the outage
      expect(tally.expected - linesAtUp).toBeGreaterThan(0);
      expect(s.daemons).toHaveLength(1); // no restart
    } finally {
      sts.credentialLifetimeSeconds = undefined;
      await s.cleanup();
      await stsProxy.stop();
    }
  });

  it("credentials (4 s) expiring twice while a large object streams (8 MB at 1 MB/s): no retry, nothing lost", async () => {
    const s = await Scenario.create(env, { name: "credentials expire mid-object (4 s, 8 s body)", slug: "sts-expiry", bucket: BUCKET, maxReceiveCount: 3 });
    // S3 through a fault proxy that trickles the big body, in front of the auth proxy.
    const slow = await startFaultProxy({ upstream: auth.endpoint });
    sts.credentialLifetimeSeconds = 4;
    try {
      const big = corpusObject("sxb", 0, 100_000, { lineBytes: 80, gzip: false });
      const small = corpus("sxs", 6, 300);
      await s.add([big, ...small]);
      slow.add({ name: "slow body", service: "s3", method: "GET", path: big.key, fault: { kind: "slow-body", bytesPerSecond: 1 << 20 } });
      const from = auth.requests.length;
      const out = `${s.dir}/out`;
      const d = s.start(
        await s.config({
          queueUrl: viaAuth(s.queue.url),
          sqs: auth.endpoint,
          s3: slow.endpoint,
          sts: sts.endpoint,
          credentials: BASE,
          s3beat: roleLines,
          output: fileOutput(out),
        }),
      );
      await s.waitDrained(90_000);
      expect((await d.stop()).code).toBe(0);
      const { tally } = s.finish(await s.fileMessages(out));
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect((await s.depth()).dlq).toBe(0);
      const reqs = auth.requests.slice(from);
      const getBig = reqs.find((r) => r.service === "s3" && r.resource.endsWith(big.key));
      const session = sts.sessionFor(getBig!.accessKeyId)!;
      const lastBigEvent = reqs.at(-1)!.at;
      // The premise: the session the download started with expired before the work on it ended.
      expect(session.expiresAt).toBeLessThan(lastBigEvent);
      expect(new Set(reqs.map((r) => r.sessionToken)).size).toBeGreaterThanOrEqual(3);
      expect(d.stats()).toMatchObject({ messagesRetried: 0, objectsFailed: 0 });
      expect(tally.duplicates).toBe(0);
    } finally {
      sts.credentialLifetimeSeconds = undefined;
      await s.cleanup();
      await slow.stop();
    }
  });
});
