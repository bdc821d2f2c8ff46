import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.ts";
import type { FileOutputSettings } from "../../src/config/settings.ts";
import { Daemon } from "../../src/daemon.ts";
import { s3Notification } from "../../src/demo/notifications.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { FileOutput } from "../../src/outputs/file.ts";
import type { Output } from "../../src/outputs/output.ts";
import type { BeatEvent } from "../../src/events/event.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig } from "../support/aws.ts";

/** A collector that takes 150 ms per batch, one batch at a time, in front of the real file output. */
class SlowCollector implements Output {
  readonly name = "slow-file";
  readonly #inner: Output;
  #chain: Promise<void> = Promise.resolve();
  constructor(inner: Output) {
    this.#inner = inner;
  }
  publish(events: readonly BeatEvent[]): Promise<void> {
    const run = this.#chain.then(async () => {
      await new Promise((r) => setTimeout(r, 150));
      await this.#inner.publish(events);
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }
  close(): Promise<void> {
    return this.#chain.then(() => this.#inner.close());
  }
}

describe("visibility timeout", () => {
  const env = useTestAws("vis-bucket");

  it("is extended while a slow object is processed, so the message is never handed out twice", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "vis");
    const lines = Array.from({ length: 30_000 }, (_, i) => `slow line ${i}`);
    await putObject(aws, "vis-bucket", "slow/object.log", lines.join("\n"));
    await sendBodies(aws, url, [s3Notification([{ bucket: "vis-bucket", key: "slow/object.log", size: 1 }])]);

    const out = `${dir}/out`;
    const cfg = await writeConfig(
      dir,
      testConfig(aws, url, { s3beat: ["visibilityTimeout: 2s", "maxMessagesInFlight: 4"], output: `output.file: { path: ${out} }` }),
    );
    const { settings } = await loadConfigFile(cfg);
    const logs: string[] = [];
    const log = createLogger({ level: "debug", format: "json", destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
    const daemon = new Daemon(settings, { log, output: new SlowCollector(new FileOutput(settings.output as FileOutputSettings)) });
    await daemon.start();
    try {
      await waitFor("the message deleted", () => daemon.stats.messagesDeleted === 1, 60_000);
    } finally {
      await daemon.stop("test done");
    }

    // The premise: processing outlasted the 2 s timeout several times over, so only the extensions kept it invisible.
    const extensions = logs.filter((l) => l.includes('"message":"visibility extended"')).length;
    expect(extensions).toBeGreaterThanOrEqual(3);
    // With free workers polling all along, a lapsed timeout would have shown up as a second receive.
    expect(daemon.stats.messagesReceived).toBe(1);
    const { events } = await readFileOutput(out);
    expect(events.map((e) => e.message)).toEqual(lines);
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
