import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConsoleOutput } from "../../src/outputs/console.ts";
import { buildEvent, type BeatEvent } from "../../src/events/event.ts";

function events(count: number, from = 0): BeatEvent[] {
  const ref = { bucket: "logs", key: "app/2024/01/01.log", region: "eu-west-1" };
  return Array.from({ length: count }, (_, i) =>
    buildEvent(ref, { offset: (from + i) * 100, text: `line ${from + i}`, truncated: false }, "0.1.0", new Date(0)),
  );
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString("utf8");
}

/** A Writable that records each write call and lets the test decide when (and how) it completes. */
function controlledStream(): { stream: Writable; writes: string[]; callbacks: ((err?: Error) => void)[] } {
  const writes: string[] = [];
  const callbacks: ((err?: Error) => void)[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString("utf8"));
      callbacks.push(callback);
    },
  });
  return { stream, writes, callbacks };
}

describe("ConsoleOutput", () => {
  it("writes one JSON document per line, batches in call order", async () => {
    const stream = new PassThrough();
    const read = collect(stream);
    const out = new ConsoleOutput({ kind: "console", pretty: false }, stream);
    const first = events(3);
    const second = events(2, 3);
    await Promise.all([out.publish(first), out.publish(second)]);
    const text = read();
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.split("\n").slice(0, -1);
    expect(lines).toHaveLength(5);
    expect(lines.map((l) => JSON.parse(l))).toEqual([...first, ...second]);
    await out.close();
  });

  it("writes a whole batch with a single write call", async () => {
    const { stream, writes, callbacks } = controlledStream();
    const out = new ConsoleOutput({ kind: "console", pretty: false }, stream);
    const published = out.publish(events(4));
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(writes[0]?.split("\n")).toHaveLength(5);
    callbacks.shift()?.();
    await published;
  });

  it("resolves only when the write callback fires", async () => {
    const { stream, callbacks } = controlledStream();
    const out = new ConsoleOutput({ kind: "console", pretty: false }, stream);
    let resolved = false;
    const published = out.publish(events(1)).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    expect(callbacks).toHaveLength(1);
    callbacks.shift()?.();
    await published;
    expect(resolved).toBe(true);
  });

  it("pretty mode indents each event", async () => {
    const stream = new PassThrough();
    const read = collect(stream);
    const out = new ConsoleOutput({ kind: "console", pretty: true }, stream);
    const batch = events(2);
    await out.publish(batch);
    const text = read();
    expect(text).toBe(batch.map((e) => JSON.stringify(e, null, 2) + "\n").join(""));
    expect(text).toContain('\n  "message": "line 0",\n');
  });

  it("rejects with a clear error carrying the cause when the write fails", async () => {
    const epipe = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(epipe);
      },
    });
    const out = new ConsoleOutput({ kind: "console", pretty: false }, stream);
    const failure = await out.publish(events(1)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/console output failed.*EPIPE/);
    expect((failure as Error).cause).toBe(epipe);
    // The stream is dead: later batches are not acknowledged either.
    await expect(out.publish(events(1))).rejects.toThrow(/console output failed/);
  });

  it("close waits for pending writes, and publish after close rejects", async () => {
    const { stream, callbacks } = controlledStream();
    const out = new ConsoleOutput({ kind: "console", pretty: false }, stream);
    const published = out.publish(events(1));
    let closed = false;
    const closing = out.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    callbacks.shift()?.();
    await published;
    await closing;
    expect(closed).toBe(true);
    await expect(out.publish(events(1))).rejects.toThrow(/closed/);
    await out.close(); // idempotent
  });
});
