/**
 * The container image, driven by testcontainers (`npm run test:image`, which builds it first). The
 * container runs on the host network against fauxqs and the project's lumberjack server, both on
 * 127.0.0.1. Not part of `npm test`: CI has no container engine.
 */
import { chmod, chown, copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { GenericContainer, StartupCheckStrategy, Wait, getContainerRuntimeClient, type StartedTestContainer, type StartupStatus } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createBucket, createQueue, putObject, queueDepth, sendBodies, startTestAws, tempDir, waitFor, type TestAws } from "../support/aws.ts";
import { startLumberjackServer, type LumberjackServer } from "../support/lumberjackServer.ts";

const IMAGE = process.env.S3BEAT_IMAGE ?? "s3beat:test";
const BUCKET = "image-bucket";
const SECRET = "image/Secret+Key0123456789abcdefghijklmn";
const KEY_ID = "AKIAIMAGETEST0000001";
const FIXTURE = new URL("../fixtures/migrate/logrhythm-legacy.in.yml", import.meta.url).pathname;

/** Started once the command has exited, whatever its exit code (the tests check the code themselves). */
class ExitedStartup extends StartupCheckStrategy {
  override async checkStartupState(client: Parameters<StartupCheckStrategy["checkStartupState"]>[0], id: string): Promise<StartupStatus> {
    const info = await client.getContainer(id).inspect();
    return info.State.Running || !info.State.FinishedAt || info.State.FinishedAt.startsWith("0001-") ? "PENDING" : "SUCCESS";
  }
}

/** Runs a one-shot command in the image; its exit code and output. */
async function runOnce(command: string[], binds: { source: string; target: string; mode?: "ro" | "rw" }[] = [], env: Record<string, string> = {}) {
  const started = await new GenericContainer(IMAGE)
    .withCommand(command)
    .withBindMounts(binds)
    .withEnvironment(env)
    .withNetworkMode("host")
    .withWaitStrategy(new ExitedStartup())
    .withStartupTimeout(60_000)
    .start();
  const output = await logsOf(started);
  const client = await getContainerRuntimeClient();
  const info = await client.container.inspect(client.container.getById(started.getId()));
  await started.stop({ remove: true, timeout: 0 }).catch(() => undefined);
  return { code: info.State.ExitCode, output };
}

async function logsOf(c: StartedTestContainer): Promise<string> {
  const stream = await c.logs();
  let text = "";
  await new Promise<void>((resolve) => {
    stream.on("data", (d: Buffer | string) => (text += d.toString()));
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
    setTimeout(resolve, 2000); // a running container's log stream stays open
  });
  return text;
}

/** Runs the image's HEALTHCHECK now through the libpod API (podman schedules none without systemd); the status it leaves. */
async function runHealthcheck(id: string): Promise<string> {
  const socket = (process.env.DOCKER_HOST ?? "").replace(/^unix:\/\//, "");
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: socket, path: `/v4.0.0/libpod/containers/${id}/healthcheck`, method: "GET" }, (res) => {
      let b = "";
      res.on("data", (d: Buffer) => (b += d.toString()));
      res.on("end", () => resolve(b));
    });
    req.on("error", reject);
    req.end();
  });
  return (JSON.parse(body) as { Status?: string }).Status ?? body;
}

describe(`the container image ${IMAGE}`, () => {
  let aws: TestAws;
  let collector: LumberjackServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    aws = await startTestAws();
    collector = await startLumberjackServer();
    dir = await tempDir("s3beat-image-");
    await chmod(dir.path, 0o777); // the container's node user (uid 1000) writes here
    await createBucket(aws, BUCKET);
  });
  afterAll(async () => {
    await collector?.stop();
    await aws?.stop();
    await dir?.remove();
  });

  function daemonConfig(queueUrl: string, grace = "3s"): string {
    return [
      "s3beat:",
      `  sqsQueues: ["${queueUrl}"]`,
      "  accessKeyID: ${S3BEAT_ACCESS_KEY_ID}",
      "  secretAccessKey: ${S3BEAT_SECRET_ACCESS_KEY}",
      `  endpoints: { sqs: "${aws.endpoint}", s3: "${aws.endpoint}" }`,
      "  sqsWaitTime: 20s",
      `  shutdownGracePeriod: ${grace}`,
      "  heartbeatinterval: 2s",
      `output.logstash: { hosts: ["${collector.address}"], timeout: 60s }`,
      "logging.metrics.period: 2s",
      "configVersion: 1",
      "",
    ].join("\n");
  }

  it("version", async () => {
    const { code, output } = await runOnce(["version"]);
    expect(code).toBe(0);
    expect(output).toMatch(/^s3beat \d+\.\d+\.\d+ \(node v24\./);
  });

  it("demo says in one line how to run it from a clone (the image has no emulator)", async () => {
    const { code, output } = await runOnce(["demo"]);
    expect(code).toBe(2);
    expect(output.trim().split("\n")).toHaveLength(1);
    expect(output).toContain("npm ci && npm start");
  });

  it("run: ingests every event once as uid 1000, turns healthy, logs no secret; a busy stop exits 0 and releases every unfinished message", async () => {
    const { url } = await createQueue(aws, "image-run");
    const lines = (i: number) => Array.from({ length: 500 }, (_, n) => `image object ${i} line ${n}`).join("\n");
    const keys: string[] = [];
    for (let i = 0; i < 6; i++) {
      const key = `run/object-${i}.log${i % 2 ? ".gz" : ""}`;
      await putObject(aws, BUCKET, key, i % 2 ? gzipSync(lines(i)) : lines(i));
      keys.push(key);
    }
    await sendBodies(
      aws,
      url,
      keys.map((key) => s3Notification([{ bucket: BUCKET, key, size: 1 }])),
    );
    const conf = join(dir.path, "run");
    await mkdir(conf, { recursive: true });
    await writeFile(join(conf, "s3beat.yml"), daemonConfig(url), { mode: 0o644 });
    const before = collector.acked;
    const container = await new GenericContainer(IMAGE)
      .withBindMounts([{ source: conf, target: "/etc/s3beat", mode: "ro" }])
      .withEnvironment({ S3BEAT_ACCESS_KEY_ID: KEY_ID, S3BEAT_SECRET_ACCESS_KEY: SECRET })
      .withNetworkMode("host")
      .withWaitStrategy(Wait.forLogMessage(/s3beat started/))
      .withStartupTimeout(60_000)
      .start();
    let stopped = false;
    try {
      await waitFor(
        "every event acknowledged by the collector",
        async () => (await queueDepth(aws, url)).visible + (await queueDepth(aws, url)).inFlight === 0,
        60_000,
        200,
      );
      const events = collector.events.slice().filter((e) => typeof e.event.message === "string" && String(e.event.message).startsWith("image object"));
      const messages = events.map((e) => String(e.event.message));
      expect(new Set(messages).size).toBe(6 * 500);
      expect(messages.length).toBe(6 * 500); // once each
      expect(collector.acked - before).toBeGreaterThanOrEqual(6 * 500);

      expect((await container.exec(["id", "-u"])).output.trim()).toBe("1000");
      expect(await runHealthcheck(container.getId())).toBe("healthy");

      // Busy: the collector stops acknowledging, three more objects are taken; the stop releases them.
      collector.set({ ackMode: "never" });
      const more = [0, 1, 2].map((i) => `run/more-${i}.log`);
      for (const key of more) await putObject(aws, BUCKET, key, lines(100));
      await sendBodies(
        aws,
        url,
        more.map((key) => s3Notification([{ bucket: BUCKET, key, size: 1 }])),
      );
      await waitFor("the three messages to be taken", async () => (await queueDepth(aws, url)).inFlight === 3, 30_000);
      const t0 = Date.now();
      const done = await container.stop({ timeout: 10_000, remove: false });
      stopped = true;
      const seconds = (Date.now() - t0) / 1000;
      const client = await getContainerRuntimeClient();
      const info = await client.container.inspect(client.container.getById(container.getId()));
      console.log(`image busy stop: exit ${info.State.ExitCode} after ${seconds.toFixed(1)} s`);
      expect(info.State.ExitCode).toBe(0);
      expect(await queueDepth(aws, url)).toEqual({ visible: 3, inFlight: 0 });
      const logs = await logsOf(container);
      expect(logs).toContain("s3beat stopped: 6 messages deleted, 3 released, 0 left to their visibility timeout");
      expect(logs).not.toContain(SECRET);
      expect(logs).not.toContain(KEY_ID);
      await client.container.remove(client.container.getById(done.getId()), { removeVolumes: true }).catch(() => undefined);
    } finally {
      collector.set({ ackMode: "window" });
      if (!stopped) await container.stop({ remove: true, timeout: 0 }).catch(() => undefined);
    }
  });

  it("validate on a mounted broken file: exit 2 with the line", async () => {
    const conf = join(dir.path, "broken");
    await mkdir(conf, { recursive: true });
    await writeFile(join(conf, "s3beat.yml"), "s3beat:\n  sqsQueues: [q:us-east-1]\n  maxMessagesInFlight: lots\noutput.console: {}\n");
    const { code, output } = await runOnce(["validate"], [{ source: conf, target: "/etc/s3beat", mode: "ro" }]);
    expect(code).toBe(2);
    expect(output).toMatch(/s3beat\.yml:3:.*maxMessagesInFlight/);
  });

  it("setup --non-interactive writes into the mounted directory a file that validate accepts", async () => {
    const conf = join(dir.path, "setup");
    await mkdir(conf, { recursive: true });
    await chmod(conf, 0o777);
    const mount = [{ source: conf, target: "/etc/s3beat", mode: "rw" as const }];
    const setup = await runOnce(
      ["setup", "--non-interactive", "--set", "sqsQueues=prod-events:us-east-1", "--set", "awsFlag=true", "--set", "output=console"],
      mount,
    );
    expect(setup.code).toBe(0);
    const written = await stat(join(conf, "s3beat.yml"));
    expect(written.mode & 0o777).toBe(0o600);
    expect(written.uid).toBe(1000);
    const validate = await runOnce(["validate"], mount);
    expect(validate.output).toMatch(/valid/i);
    expect(validate.code).toBe(0);
  });

  it("migrate-config on a mounted LogRhythm-style file keeps its mode and a backup", async () => {
    const conf = join(dir.path, "migrate");
    await mkdir(conf, { recursive: true });
    await chmod(conf, 0o777);
    const file = join(conf, "s3beat.yml");
    await copyFile(FIXTURE, file);
    await chmod(file, 0o640);
    // As the README says: the mounted directory and file belong to the image's node user (uid 1000).
    await chown(conf, 1000, 1000);
    await chown(file, 1000, 1000);
    const original = await readFile(file, "utf8");
    const { code, output } = await runOnce(["migrate-config"], [{ source: conf, target: "/etc/s3beat", mode: "rw" }]);
    if (code !== 0) console.log(output);
    expect(code).toBe(0);
    const migrated = await readFile(file, "utf8");
    expect(migrated).not.toBe(original);
    expect(migrated).toContain("roleArn:");
    expect(migrated).not.toContain("assumeRoleArn:");
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(output).toContain("the original is kept as /etc/s3beat/s3beat.yml.bak-v0");
    expect(await readFile(join(conf, "s3beat.yml.bak-v0"), "utf8")).toBe(original);
  });
});
