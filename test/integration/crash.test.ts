import { stat } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { s3Notification } from "../../src/demo/notifications.ts";
import { bigLinesObject } from "../support/corpus.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig, type TestAws } from "../support/aws.ts";
import { logLines, spawnS3beat } from "../support/child.ts";

const BUCKET = "crash-bucket";
const LINES = 300_000;

function config(aws: TestAws, queueUrl: string, out: string, grace = "20s"): string {
  return testConfig(aws, queueUrl, {
    s3beat: ["visibilityTimeout: 4s", `shutdownGracePeriod: ${grace}`],
    output: `output.file: { path: ${out}, rotate_every_kb: 1048576 }`,
  });
}

/** Counts per line number of the big object in the output; every line must be there. */
async function tally(out: string) {
  const { events, torn } = await readFileOutput(out);
  const counts = new Uint8Array(LINES);
  for (const e of events) {
    const m = /^big line=(\d+) /.exec(e.message);
    if (m) counts[Number(m[1])]! += 1;
  }
  let missing = 0;
  let duplicates = 0;
  for (const c of counts) {
    if (c === 0) missing++;
    else duplicates += c - 1;
  }
  return { events: events.length, torn, missing, duplicates };
}

/** Bytes written to the output file so far (0 before it exists): cheap to poll, unlike a parse of it. */
async function outputBytes(out: string): Promise<number> {
  return (await stat(`${out}/s3beat`).catch(() => undefined))?.size ?? 0;
}

describe("the daemon as a child process", () => {
  const env = useTestAws(BUCKET);
  beforeAll(async () => {
    const big = bigLinesObject("big/object.log.gz", LINES);
    await putObject(env.aws, BUCKET, big.key, big.body);
  });

  it("loses nothing when SIGKILLed in the middle of a large object (duplicates allowed, counted)", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "crash");
    await sendBodies(aws, url, [s3Notification([{ bucket: BUCKET, key: "big/object.log.gz", size: 1 }])]);
    const out = `${dir}/crash-out`;
    const cfg = await writeConfig(dir, config(aws, url, out), "crash.yml");

    const first = spawnS3beat(["run", "-c", cfg]);
    // Polled by the file's size, not by parsing it: a parse of the whole output took longer than the
    // daemon needed to finish the object, and the kill then came too late to land midway.
    const midway = 20_000 * 500; // bytes: ~20k events of ~600 bytes, of the object's ~300k
    await waitFor("the first run to be midway", async () => (await outputBytes(out)) >= midway, 60_000, 20);
    first.proc.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const atKill = await tally(out);
    // The premise: it really was killed midway.
    expect(atKill.events).toBeGreaterThan(0);
    expect(atKill.missing).toBeGreaterThan(0);

    // The message was neither deleted nor lost: it is still on the queue.
    const depth = await queueDepth(aws, url);
    expect(depth.visible + depth.inFlight).toBe(1);

    const second = spawnS3beat(["run", "-c", cfg]);
    try {
      await waitFor(
        "the restarted daemon to finish the object",
        async () => (await queueDepth(aws, url)).inFlight + (await queueDepth(aws, url)).visible === 0,
        90_000,
        200,
      );
    } finally {
      second.proc.kill("SIGTERM");
    }
    expect((await second.exited).code).toBe(0);

    const final = await tally(out);
    console.log(`SIGKILL test: ${atKill.events} events before the kill, ${final.duplicates} duplicates after the restart, ${final.torn} torn line(s)`);
    expect(final.missing).toBe(0);
    expect(final.duplicates).toBeGreaterThanOrEqual(atKill.events - atKill.torn - 1);
    expect(final.torn).toBeLessThanOrEqual(1);
  });

  it("on SIGTERM stops receiving, releases the unfinished message at once, and exits 0", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "graceful");
    await sendBodies(aws, url, [s3Notification([{ bucket: BUCKET, key: "big/object.log.gz", size: 1 }])]);
    const out = `${dir}/graceful-out`;
    const cfg = await writeConfig(dir, config(aws, url, out, "0s"), "graceful.yml");

    const child = spawnS3beat(["run", "-c", cfg]);
    // Polled by the file's size (a stat), not by parsing the output: on a loaded CI machine the parse
    // took long enough for the daemon to finish the object first, and the SIGTERM then found nothing to release.
    const started = 5_000 * 500; // bytes: ~5k events of ~600 bytes, of the object's 300k
    await waitFor("the daemon to be midway", async () => (await outputBytes(out)) >= started, 60_000, 20);
    child.proc.kill("SIGTERM");
    const { code } = await child.exited;
    expect(code).toBe(0);
    const logs = logLines(child.stderr());
    const { missing, torn } = await tally(out);
    // The premise: the object was unfinished when the signal landed.
    expect(missing, "the object was finished before SIGTERM landed").toBeGreaterThan(0);
    expect(logs.some((l) => l.message === "shutdown: message released for redelivery")).toBe(true);
    expect(logs.at(-1)?.message).toBe("s3beat stopped: 0 messages deleted, 1 released, 0 left to their visibility timeout");
    // Released with visibility 0: visible again now, not after the 4 s timeout.
    expect(await queueDepth(aws, url)).toEqual({ visible: 1, inFlight: 0 });
    expect(torn).toBe(0); // a graceful stop never tears a line
  });
});

describe("run on a config file that predates the current version", () => {
  const env = useTestAws("legacy-bucket");

  it("runs with the defaults in memory, logs a warning to run migrate-config, and reads LogRhythm's legacy names", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "legacy");
    await putObject(aws, "legacy-bucket", "l/1.log", "legacy line\n");
    await sendBodies(aws, url, [s3Notification([{ bucket: "legacy-bucket", key: "l/1.log", size: 12 }])]);
    // No configVersion, and the older name of sessionDuration.
    const cfg = await writeConfig(
      dir,
      testConfig(aws, url, { s3beat: ["stsCredsExpirationTime: 2h"], output: `output.file: { path: ${dir}/legacy-out }` }),
      "legacy.yml",
    );
    const child = spawnS3beat(["run", "-c", cfg]);
    await waitFor("the message deleted", async () => {
      const d = await queueDepth(aws, url);
      return d.visible + d.inFlight === 0;
    });
    child.proc.kill("SIGTERM");
    expect((await child.exited).code).toBe(0);
    const logs = logLines(child.stderr());
    expect(logs.find((l) => String(l.message).includes("is at version 0, current is"))?.message).toMatch(
      /run node bin\/s3beat\.js migrate-config -c .*legacy\.yml \(defaults apply until then\)/,
    );
    expect(logs.some((l) => String(l.message).includes("stsCredsExpirationTime") && String(l.message).includes("legacy name"))).toBe(true);
    expect((await readFileOutput(`${dir}/legacy-out`)).events.map((e) => e.message)).toEqual(["legacy line"]);
  });
});
