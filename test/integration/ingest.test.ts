import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.ts";
import { Daemon } from "../../src/daemon.ts";
import { eventBridgeObjectCreated, s3Notification, snsWrapped } from "../../src/demo/notifications.ts";
import { silentLogger } from "../../src/logging/logger.ts";
import { cloudTrailObject, linesObject, multilineObject, ndjsonObject, type CorpusObject } from "../support/corpus.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig } from "../support/aws.ts";

const BUCKET = "ingest-bucket";
const PER_KIND = 62;

describe("ingestion end to end (fauxqs over HTTP, file output on disk)", () => {
  const env = useTestAws(BUCKET);

  it("delivers every line of 240+ objects of every decoder kind, plain and gzip, exactly once, and empties the queue", async () => {
    const { aws, dir } = env;
    const { url } = await createQueue(aws, "ingest-all");
    const objects: CorpusObject[] = [];
    for (let i = 0; i < PER_KIND; i++) {
      const gz = i % 2 === 1;
      objects.push(linesObject(i, 150, gz), ndjsonObject(i, 100, gz), cloudTrailObject(i, 50, gz), multilineObject(i, 50, gz));
    }
    for (const o of objects) await putObject(aws, BUCKET, o.key, o.body);

    // Notifications in every shape S3 sends, one to three objects per raw message.
    const bodies: string[] = [];
    const ref = (o: CorpusObject) => ({ bucket: BUCKET, key: o.key, size: o.body.length });
    for (let i = 0; i < objects.length; ) {
      const shape = i % 4;
      if (shape === 0) {
        bodies.push(s3Notification(objects.slice(i, i + 3).map(ref)));
        i += 3;
      } else if (shape === 1) {
        bodies.push(snsWrapped(s3Notification([ref(objects[i]!)])));
        i += 1;
      } else if (shape === 2) {
        bodies.push(eventBridgeObjectCreated(ref(objects[i]!)));
        i += 1;
      } else {
        bodies.push(s3Notification([ref(objects[i]!)]));
        i += 1;
      }
    }
    await sendBodies(aws, url, bodies);

    const out = `${dir}/out-all`;
    const cfg = await writeConfig(
      dir,
      testConfig(aws, url, {
        s3beat: [
          "fileSelectors:",
          '  - keyRegex: "^ndjson/"',
          "    decoder: ndjson",
          '  - keyRegex: "^json/"',
          "    decoder: json",
          "    expandEventListFromField: Records",
          '  - keyRegex: "^multiline/"',
          "    multiline.pattern: '^\\d{4}-\\d{2}-\\d{2} '",
          "    multiline.negate: true",
          "    multiline.match: after",
        ],
        output: `output.file: { path: ${out}, rotate_every_kb: 2048, number_of_files: 100 }`,
      }),
      "all.yml",
    );
    const { settings } = await loadConfigFile(cfg);
    const daemon = new Daemon(settings, { log: silentLogger() });
    await daemon.start();
    try {
      await waitFor("every message deleted", () => daemon.stats.messagesDeleted === bodies.length, 120_000);
    } finally {
      await daemon.stop("test done");
    }

    const expected = new Map<string, string>(); // message -> key
    for (const o of objects) for (const m of o.messages) expected.set(m, o.key);
    expect(expected.size).toBeGreaterThanOrEqual(20_000);

    const { events, torn } = await readFileOutput(out);
    expect(torn).toBe(0);
    const seen = new Map<string, number>();
    for (const e of events) {
      seen.set(e.message, (seen.get(e.message) ?? 0) + 1);
      expect(e.log.file.path).toBe(`s3://${BUCKET}/${expected.get(e.message)}`);
      expect(e.aws.s3.object.key).toBe(expected.get(e.message));
      expect(e.cloud.region).toBe("us-east-1");
    }
    const missing = [...expected.keys()].filter((m) => !seen.has(m));
    const duplicated = [...seen.entries()].filter(([, n]) => n > 1);
    const unexpected = [...seen.keys()].filter((m) => !expected.has(m));
    expect({ missing: missing.slice(0, 3), duplicated: duplicated.slice(0, 3), unexpected: unexpected.slice(0, 3) }).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });
    expect(events.length).toBe(expected.size);

    // Event ids are unique per (bucket, key, offset).
    expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
    // The awkward keys really were among them, decoded.
    const keys = new Set(events.map((e) => e.aws.s3.object.key));
    for (const fragment of [" ", "+", "%", "é", "日本"]) expect([...keys].some((k) => k.includes(fragment))).toBe(true);

    expect(daemon.stats).toMatchObject({ objectsRead: objects.length, objectsFailed: 0, messagesRetried: 0 });
    expect(await queueDepth(aws, url)).toEqual({ visible: 0, inFlight: 0 });
  });
});
