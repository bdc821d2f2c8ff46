/** processObject with a fake getter and output: outcomes, batching, and the bound on unacknowledged batches. */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logging/logger.ts";
import { linesDecoder } from "../../src/objects/decoders/lines.ts";
import { documentsOf, type OutputEvent } from "../../src/outputs/output.ts";
import { ObjectError } from "../../src/pipeline/errors.ts";
import { processObject, type ObjectProcessorDeps } from "../../src/pipeline/objectProcessor.ts";
import { LargeRecordPermit } from "../../src/pipeline/readGate.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

const sdkError = (name: string, status: number) => Object.assign(new Error(`${name} from AWS`), { name, $metadata: { httpStatusCode: status } });
const lines = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `line ${i}\n`).join(""));
const body = (data: Buffer) =>
  (async function* () {
    yield data;
  })();

function setup(overrides: Partial<ObjectProcessorDeps> = {}, lineCount = 5) {
  const gets: string[] = [];
  const batches: OutputEvent[][] = [];
  const metrics = new Metrics({ version: "test", defaultMetrics: false });
  const deps: ObjectProcessorDeps = {
    objects: {
      getObject: async (ref) => {
        gets.push(ref.key);
        return body(lines(lineCount));
      },
    },
    decoderFor: () => linesDecoder({ maxEventBytes: 1024 }),
    output: { name: "fake", publish: async (events) => void batches.push([...events]), close: async () => undefined },
    metrics: metrics.forQueue("q"),
    log: silentLogger(),
    version: "test",
    largeRecords: new LargeRecordPermit(),
    ...overrides,
  };
  const ac = new AbortController();
  const run = (key = "k.log") => processObject({ bucket: "b", key, region: "us-east-1", size: 100 }, { queue: "q", messageId: "m1" }, deps, ac.signal);
  return { gets, batches, run, abort: () => ac.abort(new Error("shutdown")), stats: () => metrics.stats };
}

describe("processObject: outcomes", () => {
  it("delivers every line, in batches of 1024 events", async () => {
    const t = setup({}, 2049);
    expect(await t.run()).toBe("delivered");
    expect(t.batches.map((b) => documentsOf(b).length)).toEqual([1024, 1024, 1]);
    const messages = t.batches.flatMap((b) => documentsOf(b)).map((d) => (JSON.parse(d) as { message: string }).message);
    expect(messages).toEqual(Array.from({ length: 2049 }, (_, i) => `line ${i}`));
    expect(t.stats()).toMatchObject({ objectsRead: 1, eventsPublished: 2049, eventsAcked: 2049 });
  });

  it.each([
    ["keyInclude does not match", { keyInclude: /\.json$/ }],
    ["keyExclude matches", { keyExclude: /\.log$/ }],
  ])("filtered, without a GetObject, when %s", async (_name, filter) => {
    const t = setup(filter);
    expect(await t.run()).toBe("filtered");
    expect(t.gets).toEqual([]);
    expect(t.stats()).toMatchObject({ objectsFiltered: 1 });
  });

  it.each([
    ["NoSuchKey", sdkError("NoSuchKey", 404)],
    ["a 404 without a body (HEAD-style NotFound)", sdkError("NotFound", 404)],
  ])("%s: not-found, nothing published", async (_name, error) => {
    const t = setup({ objects: { getObject: () => Promise.reject(error) } });
    expect(await t.run()).toBe("not-found");
    expect(t.batches).toEqual([]);
    expect(t.stats()).toMatchObject({ objectsNotFound: 1, objectsFailed: 0 });
  });

  it("another GetObject failure throws an ObjectError naming the object (transient: no poison)", async () => {
    const t = setup({ objects: { getObject: () => Promise.reject(sdkError("AccessDenied", 403)) } });
    const err = await t.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectError);
    expect(err).toMatchObject({ context: { queue: "q", messageId: "m1", bucket: "b", key: "k.log" }, poison: undefined });
  });

  it("an output that fails makes the object fail, transient", async () => {
    const t = setup({ output: { name: "fake", publish: () => Promise.reject(new Error("collector down")), close: async () => undefined } });
    const err = await t.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectError);
    expect((err as ObjectError).message).toMatch(/^output fake did not acknowledge events .*collector down/);
    expect((err as ObjectError).poison).toBeUndefined();
  });

  it("keeps at most 4 batches unacknowledged, and rejects on abort while waiting", async () => {
    const acks: (() => void)[] = [];
    const t = setup({ output: { name: "slow", publish: () => new Promise<void>((r) => acks.push(r)), close: async () => undefined } }, 1024 * 6);
    const done = t.run();
    await new Promise((r) => setImmediate(r));
    expect(acks).toHaveLength(4); // reading stopped: no fifth batch before an acknowledgement
    acks[0]!();
    await new Promise((r) => setImmediate(r));
    expect(acks).toHaveLength(5);
    t.abort();
    await expect(done).rejects.toThrow("shutdown");
  });
});
