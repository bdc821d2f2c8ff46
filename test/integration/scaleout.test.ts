import { open } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { s3Notification, type NotifiedObject } from "../../src/demo/notifications.ts";
import { createQueue, putObject, queueDepth, readFileOutput, sendBodies, testConfig, useTestAws, waitFor, writeConfig, type TestAws } from "../support/aws.ts";
import { spawnS3beat, type Child } from "../support/child.ts";

const BUCKET = "scaleout-bucket";
const PROCESSES = 3;
const OBJECTS = 300;

interface Obj {
  key: string;
  body: Buffer;
  messages: string[];
}

/** `prefix/obj-<i>.log[.gz]` whose lines are `<tag> obj-<i> line <j>`: unique across the run. */
function makeObject(prefix: string, tag: string, i: number, lines: number): Obj {
  const gz = i % 3 === 0;
  const messages = Array.from({ length: lines }, (_, j) => `${tag} obj-${i} line ${j}`);
  const text = messages.join("\n") + "\n";
  return { key: `${prefix}/obj-${i}.log${gz ? ".gz" : ""}`, body: gz ? gzipSync(text) : Buffer.from(text), messages };
}

/** Uploads a few objects at a time. */
async function uploadAll(aws: TestAws, objects: Obj[], parallel = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < objects.length) {
        const o = objects[next++]!;
        await putObject(aws, BUCKET, o.key, o.body);
      }
    }),
  );
}

/** One notification per object, except every 10th message, which names two objects. */
function notifications(objects: Obj[]): string[] {
  const ref = (o: Obj): NotifiedObject => ({ bucket: BUCKET, key: o.key, size: o.body.length });
  const bodies: string[] = [];
  for (let i = 0; i < objects.length; ) {
    const n = bodies.length % 10 === 9 && i + 1 < objects.length ? 2 : 1;
    bodies.push(s3Notification(objects.slice(i, i + n).map(ref)));
    i += n;
  }
  return bodies;
}

/**
 * Counts the complete lines a file output directory's current file has grown by, reading only the
 * new bytes each call: cheap enough to poll every 200 ms while the file grows to 100+ MB (parsing
 * it all with readFileOutput on each poll would starve the daemons of CPU). The tests set
 * rotate_every_kb high enough that the file never rotates.
 */
function lineCounter(dir: string): () => Promise<number> {
  let position = 0;
  let lines = 0;
  const chunk = Buffer.alloc(1 << 20);
  return async () => {
    const fh = await open(join(dir, "s3beat")).catch(() => undefined);
    if (!fh) return lines;
    try {
      for (;;) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const got = chunk.subarray(0, bytesRead);
        for (let i = got.indexOf(10); i !== -1; i = got.indexOf(10, i + 1)) lines++;
      }
    } finally {
      await fh.close();
    }
    return lines;
  };
}

async function queueEmpty(aws: TestAws, url: string): Promise<boolean> {
  const d = await queueDepth(aws, url);
  return d.visible + d.inFlight === 0;
}

describe("scale-out: several s3beat processes on one queue", () => {
  const env = useTestAws(BUCKET);
  let children: Child[] = [];

  afterEach(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await Promise.all(children.map((c) => c.exited));
    children = [];
  });

  /** Starts PROCESSES daemons on the queue, each with its own file output directory. */
  async function startAll(aws: TestAws, dir: string, url: string, name: string, visibilityTimeout: string): Promise<string[]> {
    const outs: string[] = [];
    for (let p = 0; p < PROCESSES; p++) {
      const out = `${dir}/${name}-out-${p}`;
      const cfg = await writeConfig(
        dir,
        testConfig(aws, url, {
          s3beat: [`visibilityTimeout: ${visibilityTimeout}`, "maxMessagesInFlight: 5", "heartbeatdisabled: true"],
          output: `output.file: { path: ${out}, rotate_every_kb: 1048576 }`,
        }),
        `${name}-${p}.yml`,
      );
      outs.push(out);
      children.push(spawnS3beat(["run", "-c", cfg]));
    }
    return outs;
  }

  async function stopAll(which: Child[]): Promise<void> {
    for (const c of which) c.proc.kill("SIGTERM");
    const exits = await Promise.all(which.map((c) => c.exited));
    exits.forEach((e, i) => expect(e, `process ${i} exit; stderr tail: ${which[i]!.stderr().slice(-2000)}`).toEqual({ code: 0, signal: null }));
  }

  it("three processes share 300 objects: every event arrives once, no object is read by two processes", async () => {
    const { aws, dir } = env;
    const started = Date.now();
    const { url, dlqUrl } = await createQueue(aws, "scaleout-share");
    const objects = Array.from({ length: OBJECTS }, (_, i) => makeObject("share", "share", i, 20));
    await uploadAll(aws, objects);
    const bodies = notifications(objects);
    await sendBodies(aws, url, bodies);

    const outs = await startAll(aws, dir, url, "share", "30s");
    await waitFor("the queue to drain", () => queueEmpty(aws, url), 120_000, 200);
    await stopAll(children);
    const drained = Date.now();

    const expected = new Map<string, number>();
    for (const o of objects) for (const m of o.messages) expected.set(m, 0);
    const ownerOfKey = new Map<string, number>();
    const keysShared = new Set<string>();
    const keysPerProcess: number[] = [];
    const eventsPerProcess: number[] = [];
    const ids = new Set<string>();
    let unexpected = 0;
    let torn = 0;
    let total = 0;
    for (let p = 0; p < PROCESSES; p++) {
      const out = await readFileOutput(outs[p]!).catch(() => ({ events: [], heartbeats: [], torn: 0 }));
      torn += out.torn;
      total += out.events.length;
      eventsPerProcess.push(out.events.length);
      const keys = new Set<string>();
      for (const e of out.events) {
        const c = expected.get(e.message);
        if (c === undefined) unexpected++;
        else expected.set(e.message, c + 1);
        ids.add(e.event.id);
        keys.add(e.aws.s3.object.key);
      }
      for (const k of keys) {
        if (ownerOfKey.has(k)) keysShared.add(k);
        else ownerOfKey.set(k, p);
      }
      keysPerProcess.push(keys.size);
    }
    const counts = [...expected.values()];
    const missing = counts.filter((c) => c === 0).length;
    const duplicates = counts.reduce((s, c) => s + Math.max(0, c - 1), 0);
    console.log(
      `scale-out share: objects read per process ${JSON.stringify(keysPerProcess)}, events per process ${JSON.stringify(eventsPerProcess)}; ` +
        `${total} events, ${missing} missing, ${duplicates} duplicates, ${keysShared.size} objects in two outputs; uploaded, drained and stopped in ${drained - started} ms`,
    );

    expect(torn).toBe(0);
    expect(unexpected).toBe(0);
    expect(missing).toBe(0);
    expect(duplicates).toBe(0);
    expect(total).toBe(OBJECTS * 20);
    expect(ids.size).toBe(total);
    expect([...keysShared]).toEqual([]);
    expect(ownerOfKey.size).toBe(OBJECTS);
    expect(keysPerProcess.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("SIGKILL of one of three processes mid-run loses nothing", async () => {
    const { aws, dir } = env;
    const LINES = 2000;
    const started = Date.now();
    const { url, dlqUrl } = await createQueue(aws, "scaleout-kill");
    const objects = Array.from({ length: OBJECTS }, (_, i) => makeObject("kill", "kill", i, LINES));
    await uploadAll(aws, objects);
    await sendBodies(aws, url, notifications(objects));
    const total = OBJECTS * LINES;

    const outs = await startAll(aws, dir, url, "kill", "5s");
    const counters = outs.map(lineCounter);
    const perProcess = () => Promise.all(counters.map((c) => c()));
    const countAll = async () => (await perProcess()).reduce((a, b) => a + b, 0);
    await waitFor("a third of the events written", async () => (await countAll()) >= total / 3, 120_000, 200);

    const victim = children[0]!;
    victim.proc.kill("SIGKILL");
    expect((await victim.exited).signal).toBe("SIGKILL");
    const killedAt = Date.now();
    const perAtKill = await perProcess();
    const depthAtKill = await queueDepth(aws, url);
    // The premise: the victim had done some of the work, and the run was not over.
    expect(perAtKill[0]).toBeGreaterThan(0);
    expect(depthAtKill.visible + depthAtKill.inFlight).toBeGreaterThan(0);

    await waitFor("the queue to drain", () => queueEmpty(aws, url), 120_000, 200);
    await stopAll(children.slice(1));
    const drained = Date.now();

    const expected = new Map<string, number>();
    for (const o of objects) for (const m of o.messages) expected.set(m, 0);
    let unexpected = 0;
    let torn = 0;
    let events = 0;
    const keysPerProcess: number[] = [];
    for (const out of outs) {
      const r = await readFileOutput(out).catch(() => ({ events: [], heartbeats: [], torn: 0 }));
      torn += r.torn;
      events += r.events.length;
      const keys = new Set<string>();
      for (const e of r.events) {
        const c = expected.get(e.message);
        if (c === undefined) unexpected++;
        else expected.set(e.message, c + 1);
        keys.add(e.aws.s3.object.key);
      }
      keysPerProcess.push(keys.size);
    }
    const counts = [...expected.values()];
    const missing = counts.filter((c) => c === 0).length;
    const duplicates = counts.reduce((s, c) => s + Math.max(0, c - 1), 0);
    console.log(
      `scale-out SIGKILL: objects read per process ${JSON.stringify(keysPerProcess)} (process 0 killed), ` +
        `events per process at the kill ${JSON.stringify(perAtKill)} (queue ${JSON.stringify(depthAtKill)}), ` +
        `${events} events in all, ${missing} missing, ${duplicates} duplicates, ${torn} torn line(s); ` +
        `kill after ${killedAt - started} ms, drained and stopped ${drained - killedAt} ms after the kill`,
    );

    expect(unexpected).toBe(0);
    expect(missing).toBe(0);
    expect(torn).toBeLessThanOrEqual(1);
    expect(events).toBe(total + duplicates);
    expect(await queueDepth(aws, dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});
