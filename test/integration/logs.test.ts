/**
 * The daemon's own log lines, as an operator's collector and terminal see them: ECS JSON when stderr
 * is not a terminal, the readable format on one, untrusted text (object keys) unable to forge a line
 * or drive the terminal in either, and the periodic summary switched by logging.metrics.enabled.
 */
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { CURRENT_CONFIG_VERSION } from "../../migrations/index.ts";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createQueue, putObject, readFileOutput, sendBodies, useTestAws, waitFor, writeConfig, type TestAws } from "../support/aws.ts";
import { logLines, spawnS3beat, type Child } from "../support/child.ts";
import { ptyAvailable, spawnPty, type Pty } from "../support/pty.ts";

const BUCKET = "logs-bucket";
const LEVEL_WORDS = ["trace", "debug", "info", "warn", "error", "fatal"];
// ISO-8601 / RFC 3339 with milliseconds and an offset (toISOString writes Z).
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

// A key that, printed raw, would end the line and start a forged one, then switch the terminal to red.
const EVIL_KEY = 'logs/evil\nFORGED {"log.level":"error","message":"forged"}\u001b[31mred.log';
// The same trick in a key that is not in the bucket: its NoSuchKey warning names it in the message.
const GONE_KEY = 'logs/gone\nFORGED {"log.level":"error","message":"forged"}\u001b[31mred.log';

type Line = Record<string, unknown>;

/** A config on the emulator with short timings; `logging` lines go under `logging:` (indented). */
function logsConfig(aws: TestAws, queueUrl: string, out: string, opts: { s3beat?: string[]; logging?: string[] } = {}): string {
  return [
    `configVersion: ${CURRENT_CONFIG_VERSION}`, // current: no migrate-config warning before "s3beat started"
    "s3beat:",
    `  sqsQueues: ["${queueUrl}"]`,
    "  accessKeyID: test-access-key",
    "  secretAccessKey: test-secret-key",
    `  endpoints: { sqs: "${aws.endpoint}", s3: "${aws.endpoint}" }`,
    "  sqsWaitTime: 1s",
    "  visibilityTimeout: 4s",
    "  shutdownGracePeriod: 1s",
    ...(opts.s3beat ?? []).map((l) => `  ${l}`),
    `output.file: { path: ${out} }`,
    ...(opts.logging?.length ? ["logging:", ...opts.logging.map((l) => `  ${l}`)] : []),
    "",
  ].join("\n");
}

/** The children and terminals a test started: SIGTERMed and awaited after it, whatever happened. */
const started: Array<{ stop(): Promise<unknown> }> = [];

function run(cfg: string): Child {
  const child = spawnS3beat(["run", "-c", cfg]);
  started.push({
    stop: async () => {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill("SIGTERM");
      await child.exited;
    },
  });
  return child;
}

function runOnPty(cfg: string, cwd: string): Pty {
  const p = spawnPty(["run", "-c", cfg], { cwd });
  let exited = false;
  void p.exited.then(() => (exited = true));
  started.push({
    stop: async () => {
      try {
        if (!exited) p.signal("SIGTERM");
      } catch {
        p.kill(); // the command is gone already, or never started: script itself is all there is
      }
      // script passes the SIGTERM on; should the daemon hang, do not hang the suite with it.
      const t = setTimeout(() => p.kill(), 10_000);
      await p.exited;
      clearTimeout(t);
    },
  });
  return p;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

/** SIGTERM, then the exit: a graceful stop exits 0. */
async function stop(child: Child): Promise<void> {
  child.proc.kill("SIGTERM");
  expect(await child.exited).toEqual({ code: 0, signal: null });
}

async function stopPty(p: Pty): Promise<void> {
  p.signal("SIGTERM");
  await p.expect("s3beat stopped");
  expect(await p.exited).toBe(0);
}

const lines = (child: Child) => logLines(child.stderr());
const messageOf = (l: Line) => String(l.message);
/** The screen's lines (a terminal ends them with CR LF). */
const screenLines = (text: string) => text.split(/\r?\n/);

describe("log lines of the daemon (a child process, the emulator)", () => {
  const env = useTestAws(BUCKET);

  it("stderr that is not a terminal gets ECS JSON lines: log.level a word, @timestamp ISO-8601 and now, message; errors stated once", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "json-format", 100);
    await putObject(aws, BUCKET, "json/ok.log", "fine\n");
    // gzip magic and header, then garbage: the object fails to decode (an error line with error.type).
    await putObject(aws, BUCKET, "json/corrupt.log.gz", Buffer.concat([gzipSync("x").subarray(0, 10), Buffer.from("not deflate at all, not at all")]));
    await sendBodies(aws, url, [
      s3Notification([{ bucket: BUCKET, key: "json/ok.log", size: 5 }]),
      "this is not a notification",
      s3Notification([{ bucket: BUCKET, key: "json/corrupt.log.gz", size: 40 }]),
    ]);
    const out = `${dir}/json-out`;
    const cfg = await writeConfig(dir, logsConfig(aws, url, out, { logging: ["metrics.period: 1s"] }), "json.yml"); // format unset: auto
    const child = run(cfg);
    const find = (pred: (l: Line) => boolean) => lines(child).find(pred);
    await waitFor(
      "the malformed notification and the corrupt object to be logged, and a summary",
      () =>
        Boolean(
          find((l) => messageOf(l).startsWith("malformed notification deleted")) &&
            find((l) => l.key === "json/corrupt.log.gz" && l["log.level"] === "error") &&
            find((l) => messageOf(l).startsWith("in the last ") || messageOf(l).startsWith("idle: ")),
        ),
      30_000,
    );
    await waitFor("the good object's event", async () => (await readFileOutput(out).catch(() => ({ events: [] }))).events.length === 1, 30_000);
    await stop(child);

    const now = Date.now();
    const raw = child.stderr();
    expect(raw.endsWith("\n")).toBe(true);
    const rawLines = raw.slice(0, -1).split("\n");
    expect(rawLines.length).toBeGreaterThanOrEqual(5);
    for (const text of rawLines) {
      let l: Line;
      try {
        l = JSON.parse(text) as Line;
      } catch {
        throw new Error(`a stderr line is not JSON: ${text}`);
      }
      expect(typeof l, text).toBe("object");
      expect(LEVEL_WORDS, text).toContain(l["log.level"]);
      expect(l.level, text).toBeUndefined(); // no numeric pino level beside it
      expect(l["@timestamp"], text).toMatch(ISO_8601);
      expect(Math.abs(now - Date.parse(String(l["@timestamp"]))), text).toBeLessThan(60_000);
      expect(typeof l.message, text).toBe("string");
      expect(l["service.name"], text).toBe("s3beat");
      // An error's text is stated once: in the message, not again in an error object beside it.
      for (const field of ["err", "error"] as const) {
        const e = l[field] as { message?: unknown } | string | undefined;
        const errText = typeof e === "string" ? e : typeof e?.message === "string" ? e.message : undefined;
        if (errText) expect(messageOf(l), text).not.toContain(errText);
      }
      if (typeof l["error.message"] === "string" && l["error.message"] !== "") expect(messageOf(l), text).not.toContain(l["error.message"]);
    }

    const all = lines(child);
    expect(all[0]?.message).toBe("s3beat started");
    expect(messageOf(all.at(-1) ?? {})).toMatch(/^s3beat stopped/);
    // The known error lines: level error, the cause in the message once, its class apart.
    const malformed = all.find((l) => messageOf(l).startsWith("malformed notification deleted"))!;
    expect(malformed["log.level"]).toBe("error");
    const corrupt = all.find((l) => l.key === "json/corrupt.log.gz" && l["log.level"] === "error")!;
    expect(corrupt["error.type"]).toBeTypeOf("string");
    expect(corrupt.err).toBeUndefined();
    expect(corrupt.error).toBeUndefined();
    expect(messageOf(corrupt).length).toBeGreaterThan(0);
    expect(messageOf(corrupt)).not.toMatch(/\n\s+at /); // no stack trace in the message
  });

  it.runIf(ptyAvailable)("stderr that is a terminal gets the readable format (format auto)", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "pretty-format");
    const cfg = await writeConfig(dir, logsConfig(aws, url, `${dir}/pretty-out`, { logging: ["metrics.period: 1s"] }), "pretty.yml");
    const p = runOnPty(cfg, dir);
    await p.expect("s3beat started");
    // The first summary comes after a GetQueueAttributes: by then run.ts has its signal handlers
    // (it installs them only once start() has returned, after "s3beat started").
    await p.expect("idle: no messages in the last 1s");
    await stopPty(p);

    const screen = screenLines(p.screen());
    const startedLine = screen.find((l) => l.includes("s3beat started"));
    // `[2026-01-02 03:04:05.678 +0000] INFO: s3beat started`
    expect(startedLine).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}\] INFO: s3beat started$/);
    expect(screen.find((l) => l.includes("s3beat stopped"))).toMatch(/^\[[^\]]+\] INFO: s3beat stopped\b/);
    expect(screen.find((l) => l.includes("idle: no messages"))).toMatch(
      /^\[[^\]]+\] INFO: idle: no messages in the last 1s; 0 in flight, 0 waiting in the queue$/,
    );
    // Nothing on it is a JSON log line.
    expect(screen.filter((l) => l.trimStart().startsWith("{"))).toEqual([]);
    expect(p.screen()).not.toContain('"log.level"');
    expect(p.screen()).not.toContain('"@timestamp"');
    // Coloured, since it is a terminal: the raw output holds SGR sequences around the level.
    expect(p.raw()).toMatch(/\u001b\[\d+mINFO\u001b\[\d+m/);
  });

  describe("an object key with a newline and an ESC in it cannot forge a line", () => {
    /** Puts EVIL_KEY in the bucket and posts one notification naming it and the missing GONE_KEY. */
    async function evilNotification(aws: TestAws, queue: string): Promise<string> {
      const { url } = await createQueue(aws, queue);
      await putObject(aws, BUCKET, EVIL_KEY, "evil line\n");
      const body = s3Notification([
        { bucket: BUCKET, key: EVIL_KEY, size: 10 },
        { bucket: BUCKET, key: GONE_KEY, size: 10 },
      ]);
      // The shape S3 sends: form-URL-encoded keys (the premise that the daemon decodes them).
      expect(body).toContain("logs/evil%0AFORGED+%7B%22log.level%22%3A%22error%22%2C%22message%22%3A%22forged%22%7D%1B%5B31mred.log");
      expect(body).not.toContain("\\n");
      await sendBodies(aws, url, [body]);
      return url;
    }

    it("in JSON lines: each line one object, none starting with FORGED, the key JSON-escaped", async () => {
      const { aws, dir } = env;
      const url = await evilNotification(aws, "forged-json");
      const out = `${dir}/forged-json-out`;
      const cfg = await writeConfig(dir, logsConfig(aws, url, out, { logging: ["level: debug", "format: json"] }), "forged-json.yml");
      const child = run(cfg);
      const warning = () => lines(child).find((l) => messageOf(l).includes("no longer exists (NoSuchKey)"));
      await waitFor("the NoSuchKey warning", () => warning() !== undefined, 30_000);
      await waitFor("the evil object's event", async () => (await readFileOutput(out).catch(() => ({ events: [] }))).events.length === 1, 30_000);
      await stop(child);

      const raw = child.stderr();
      const rawLines = raw.slice(0, -1).split("\n");
      for (const text of rawLines) {
        expect(text.startsWith("FORGED"), text).toBe(false);
        expect(text, "a line that is not one JSON object").toMatch(/^\{.*\}$/);
        expect(() => JSON.parse(text) as unknown, text).not.toThrow();
        expect(text).not.toMatch(/[\u0000-\u001f\u0080-\u009f]/); // no raw control character
      }
      expect(rawLines.filter((l) => l.includes("FORGED")).length).toBeGreaterThanOrEqual(1);
      // The key is in the line escaped, and a JSON reader gets it back exactly.
      expect(raw).toContain(`s3://${BUCKET}/logs/gone\\nFORGED {\\"log.level\\":\\"error\\",\\"message\\":\\"forged\\"}\\u001b[31mred.log no longer exists`);
      expect(warning()!.message).toBe(`object s3://${BUCKET}/${GONE_KEY} no longer exists (NoSuchKey); its notification is dropped`);
      expect(warning()!.key).toBe(GONE_KEY);
      expect(warning()!["log.level"]).toBe("warn");
      // No forged line was read as a log line of its own.
      expect(lines(child).filter((l) => l.message === "forged")).toEqual([]);
      expect(lines(child).length).toBe(rawLines.length);
      // The evil key itself was decoded and read like any other.
      const { events } = await readFileOutput(out);
      expect(events.map((e) => [e.message, e.aws.s3.object.key])).toEqual([["evil line", EVIL_KEY]]);
    });

    it.runIf(ptyAvailable)("on a terminal: no line starts with FORGED, the ESC of the key is shown as text, never sent", async () => {
      const { aws, dir } = env;
      const url = await evilNotification(aws, "forged-pretty");
      const out = `${dir}/forged-pretty-out`;
      const cfg = await writeConfig(dir, logsConfig(aws, url, out, { logging: ["level: debug"] }), "forged-pretty.yml");
      const p = runOnPty(cfg, dir);
      await p.expect("no longer exists (NoSuchKey)");
      await waitFor("the evil object's event", async () => (await readFileOutput(out).catch(() => ({ events: [] }))).events.length === 1, 30_000);
      await stopPty(p);

      const screen = screenLines(p.screen());
      expect(screen.filter((l) => l.trimStart().startsWith("FORGED"))).toEqual([]);
      expect(screen.filter((l) => l.includes("FORGED")).length).toBeGreaterThanOrEqual(1);
      // The warning is one screen line, the newline and the ESC written out as text.
      const warning = screen.filter((l) => l.includes("no longer exists (NoSuchKey)"));
      expect(warning).toHaveLength(1);
      expect(warning[0]).toContain(
        `WARN: object s3://${BUCKET}/logs/gone\\nFORGED {"log.level":"error","message":"forged"}\\u001b[31mred.log no longer exists`,
      );
      // The terminal never received the key's ESC: the raw output has no `ESC[31mred`, only the text.
      const raw = p.raw();
      expect(raw).not.toContain("\u001b[31mred");
      expect(raw).toContain("\\u001b[31mred.log");
      // Nor a raw C1 control or a bare newline from the key.
      expect(raw).not.toMatch(/[\u0080-\u009f]/);
      expect(raw).not.toMatch(/evil\r?\n/);
      expect(raw).not.toMatch(/gone\r?\n/);
    });
  });

  describe("logging.metrics.enabled", () => {
    const isSummary = (l: Line) => messageOf(l).startsWith("idle:") || messageOf(l).startsWith("in the last");

    it("true (period 1s) logs the idle summary every period; false logs none", async () => {
      const { aws, dir } = env;
      const off = await createQueue(aws, "metrics-off");
      const on = await createQueue(aws, "metrics-on");
      const offCfg = await writeConfig(
        dir,
        logsConfig(aws, off.url, `${dir}/metrics-off-out`, { logging: ["metrics.enabled: false", "metrics.period: 1s"] }),
        "metrics-off.yml",
      );
      const onCfg = await writeConfig(
        dir,
        logsConfig(aws, on.url, `${dir}/metrics-on-out`, { logging: ["metrics.enabled: true", "metrics.period: 1s"] }),
        "metrics-on.yml",
      );

      const silent = run(offCfg);
      await waitFor("the daemon without metrics to start", () => lines(silent).some((l) => l.message === "s3beat started"), 30_000);
      const silentSince = Date.now();
      const chatty = run(onCfg);
      const idle = () => lines(chatty).filter((l) => messageOf(l).startsWith("idle: no messages in the last 1s"));
      // One at start, then one a period: five lines are four periods of the daemon with metrics,
      // all of them while the one without was running.
      await waitFor("five idle summaries", () => idle().length >= 5, 30_000);
      expect(Date.now() - silentSince).toBeGreaterThanOrEqual(3_500);
      expect(silent.proc.exitCode).toBeNull(); // still running all along
      await stop(chatty);
      await stop(silent);

      expect(idle()[0]).toMatchObject({
        "log.level": "info",
        idle: true,
        periodSeconds: 1,
        message: "idle: no messages in the last 1s; 0 in flight, 0 waiting in the queue",
      });
      const stamps = idle().map((l) => Date.parse(String(l["@timestamp"])));
      for (let i = 2; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(500); // a period apart, not a burst
      expect(lines(silent).filter(isSummary)).toEqual([]);
      expect(messageOf(lines(silent).at(-1) ?? {})).toMatch(/^s3beat stopped/);
    });
  });
});
