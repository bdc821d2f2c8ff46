import { writeFile, rm, stat } from "node:fs/promises";
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.ts";
import { Daemon } from "../../src/daemon.ts";
import { s3Notification, snsWrapped } from "../../src/demo/notifications.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig, type TestAws } from "../support/aws.ts";

const BUCKET = "failures-bucket";

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, log: createLogger({ level: "info", format: "json", destination: sink }) };
}

function config(aws: TestAws, queueUrl: string, outDir: string, s3beat: string[] = []): string {
  return testConfig(aws, queueUrl, { s3beat, output: `output.file: { path: ${outDir} }` });
}

const ref = (key: string) => ({ bucket: BUCKET, key, size: 1 });

describe("failures lose nothing and stop nothing", () => {
  const env = useTestAws(BUCKET);

  it("keeps the message while the output fails (held, not retried), and delivers it once the output works again", async () => {
    const { aws, dir } = env;
    const { url, dlqUrl } = await createQueue(aws, "output-fails", 2);
    const lines = Array.from({ length: 500 }, (_, i) => `retry line ${i}`);
    await putObject(aws, BUCKET, "retry/object.log", lines.join("\n"));
    await sendBodies(aws, url, [s3Notification([ref("retry/object.log")])]);

    // The output directory's parent is a regular file: every write fails until it is removed.
    const blocker = `${dir}/blocker`;
    await writeFile(blocker, "not a directory");
    const cfg = await writeConfig(
      dir,
      config(aws, url, `${blocker}/out`, ["visibilityTimeout: 2s", "retryBackoff.init: 1s", "retryBackoff.max: 2s"]),
      "retry.yml",
    );
    const { lines: logs, log } = captureLogs();
    const daemon = new Daemon((await loadConfigFile(cfg)).settings, { log });
    await daemon.start();
    try {
      await waitFor("a failed write", () => logs.some((l) => String(l.message).includes("events are kept and written when it succeeds")));
      const failure = logs.find((l) => String(l.message).includes("events are kept and written when it succeeds"));
      expect(failure).toMatchObject({ "log.level": "warn", "error.code": expect.stringMatching(/ENOTDIR|EEXIST/), "file.path": `${blocker}/out/s3beat` });
      expect(failure?.message).toMatch(/^file output: cannot open .*\/blocker\/out\/s3beat: .*(ENOTDIR|EEXIST).*retrying in/);
      expect(daemon.health.readiness().notReady).toEqual([
        { part: "output file", reason: expect.stringMatching(/file output: cannot open .*(ENOTDIR|EEXIST)/) },
      ]);

      // Held past several visibility timeouts: still in flight, never failed, retried or dead-lettered.
      await new Promise((r) => setTimeout(r, 5000));
      expect(daemon.stats).toMatchObject({ messagesReceived: 1, messagesRetried: 0, messagesDeleted: 0, objectsFailed: 0 });
      expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 1 });
      expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
      expect(logs.filter((l) => l["log.level"] === "error")).toEqual([]);

      await rm(blocker);
      await waitFor("the held message to be delivered and deleted", () => daemon.stats.messagesDeleted === 1, 30_000);
      expect(daemon.health.readiness().notReady).toEqual([]);
      expect(logs.some((l) => String(l.message).includes("works again"))).toBe(true);
    } finally {
      await daemon.stop("test done");
    }
    expect(daemon.stats).toMatchObject({ messagesReceived: 1, messagesRetried: 0 });
    expect(logs.some((l) => String(l.message).includes("kept for retry"))).toBe(false);
    const { events } = await readFileOutput(`${blocker}/out`);
    expect(events.map((e) => e.message)).toEqual(lines);
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 0 });
    expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("logs a corrupt gzip object, a malformed notification and a missing object clearly, and keeps serving the rest", async () => {
    const { aws, dir } = env;
    const { url, dlqUrl } = await createQueue(aws, "bad-input");
    const good = gzipSync("good 1\ngood 2\n");
    const corrupt = Buffer.from(gzipSync(Array.from({ length: 2000 }, (_, i) => `line ${i} ${Math.random()}`).join("\n")));
    corrupt.fill(0x55, 200, 400); // damaged in the middle: the header is fine, the deflate data is not
    await putObject(aws, BUCKET, "bad/corrupt.log.gz", corrupt);
    await putObject(aws, BUCKET, "bad/good 1.log.gz", good);
    await putObject(aws, BUCKET, "bad/good2.log", "good 3\n");
    await sendBodies(aws, url, [
      s3Notification([ref("bad/corrupt.log.gz")]),
      "this is { not a notification",
      s3Notification([ref("bad/good 1.log.gz")]),
      snsWrapped(s3Notification([ref("bad/good2.log")])),
      s3Notification([ref("bad/never-uploaded.log")]),
    ]);

    const out = `${dir}/bad-out`;
    const cfg = await writeConfig(dir, config(aws, url, out, ["retryBackoff.init: 5m"]), "bad.yml");
    const { lines: logs, log } = captureLogs();
    const daemon = new Daemon((await loadConfigFile(cfg)).settings, { log });
    await daemon.start();
    try {
      // The corrupt object is poison: its message goes to the dead-letter queue at once, not retried.
      await waitFor(
        "good, malformed and missing messages deleted and the corrupt one dead-lettered",
        async () => daemon.stats.messagesDeleted === 4 && (await queueDepth(aws, dlqUrl)).visible === 1,
      );
    } finally {
      await daemon.stop("test done");
    }

    const corruptLog = logs.find((l) => String(l.message).includes("corrupt gzip"));
    expect(corruptLog).toMatchObject({ "log.level": "error", queue: "bad-input", bucket: BUCKET, key: "bad/corrupt.log.gz" });
    expect(corruptLog?.message).toMatch(/s3:\/\/failures-bucket\/bad\/corrupt\.log\.gz/);
    expect(typeof corruptLog?.messageId).toBe("string");
    expect(logs.find((l) => String(l.message).startsWith("malformed notification deleted"))).toMatchObject({
      "log.level": "error",
      queue: "bad-input",
      bodyExcerpt: "this is { not a notification",
    });
    expect(logs.find((l) => String(l.message).includes("NoSuchKey"))?.message).toMatch(/never-uploaded\.log no longer exists/);

    const { events } = await readFileOutput(out);
    expect(events.map((e) => e.message).sort()).toEqual(["good 1", "good 2", "good 3"]);
    expect(daemon.stats).toMatchObject({ messagesMalformed: 1, objectsNotFound: 1, objectsPoison: 1, objectsFailed: 0, messagesRetried: 0 });
    expect(corruptLog?.message).toMatch(/moved to the dead-letter queue .*bad-input-dlq at once/);
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("truncates and flags a 20 MB line without holding it, and reads the next line intact", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "huge-line");
    const huge = "x".repeat(20 * 1024 * 1024);
    await putObject(aws, BUCKET, "huge/line.log.gz", gzipSync(`before\n${huge}\nafter\n`));
    await sendBodies(aws, url, [s3Notification([ref("huge/line.log.gz")])]);
    const out = `${dir}/huge-out`;
    const cfg = await writeConfig(dir, config(aws, url, out, ["maxEventBytes: 64KiB"]), "huge.yml");
    const daemon = new Daemon((await loadConfigFile(cfg)).settings, { log: captureLogs().log });
    await daemon.start();
    try {
      await waitFor("the message deleted", () => daemon.stats.messagesDeleted === 1);
    } finally {
      await daemon.stop("test done");
    }
    const { events } = await readFileOutput(out);
    expect(events.map((e) => e.message.length)).toEqual([6, 64 * 1024, 5]);
    expect(events[1]?.log.flags).toEqual(["truncated"]);
    expect(events[2]?.message).toBe("after");
    expect(daemon.stats.eventsTruncated).toBe(1);
    expect((await stat(`${out}/s3beat`)).size).toBeLessThan(200 * 1024);
  });
});
