/**
 * The bench's S3+SQS emulator (fauxqs) in a process of its own, on 127.0.0.1. It prints
 * `endpoint http://127.0.0.1:PORT` on stdout; started with an IPC channel (bench/run.ts forks it)
 * it also takes commands:
 *   {id, cmd: "put", bucket, objects: [{key, path}]}  loads cached bodies straight into the store
 *   {id, cmd: "clear", bucket}                        drops the bucket's objects
 *   {id, cmd: "watch", queue}                          times the next run on that queue
 * A watched run is timed here, where the messages are, without polling: after every SQS call the
 * queue is looked at; "taken" is sent the first time a message is in flight (the consumer's first
 * receive), "drained" when nothing is visible, in flight or delayed any more (its last delete).
 *
 * The stores are built here (fauxqs's buildApp accepts them) so that the queue's state can be read
 * directly; fauxqs does not export their classes, hence the imports by file.
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { buildApp } from "fauxqs";

const dist = import.meta.resolve("fauxqs"); // file:///…/fauxqs/dist/app.js
const { SqsStore } = (await import(new URL("./sqs/sqsStore.js", dist).href)) as { SqsStore: new () => SqsStoreLike };
const { SnsStore } = (await import(new URL("./sns/snsStore.js", dist).href)) as { SnsStore: new () => unknown };
const { S3Store } = (await import(new URL("./s3/s3Store.js", dist).href)) as { S3Store: new () => S3StoreLike };

interface QueueLike {
  messages: unknown[];
  inflightMessages: Map<string, unknown>;
  delayedMessages: unknown[];
}
interface SqsStoreLike {
  getQueueByName(name: string): QueueLike | undefined;
}
interface S3StoreLike {
  createBucket(name: string): void;
  putObject(bucket: string, key: string, body: Buffer, contentType?: string): void;
  emptyBucket(name: string): void;
}

const sqsStore = new SqsStore();
const s3Store = new S3Store();
const app = buildApp({
  logger: false,
  defaultRegion: "us-east-1",
  stores: { sqsStore, snsStore: new SnsStore(), s3Store } as unknown as NonNullable<Parameters<typeof buildApp>[0]>["stores"],
});

interface Watch {
  queue: QueueLike;
  takenAt?: number;
  cpuAtTaken?: NodeJS.CpuUsage;
  receives: number;
  deletes: number;
  s3Gets: number;
}
let watch: Watch | undefined;

const send = (m: unknown) => process.send?.(m);

app.addHook("onResponse", (req, _reply, done) => {
  const w = watch;
  if (w) {
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") {
      if (target.endsWith(".ReceiveMessage")) w.receives++;
      else if (target.endsWith(".DeleteMessage") || target.endsWith(".DeleteMessageBatch")) w.deletes++;
      const q = w.queue;
      const inFlight = q.inflightMessages.size;
      if (w.takenAt === undefined && inFlight > 0) {
        w.takenAt = performance.now();
        w.cpuAtTaken = process.cpuUsage();
        send({ event: "taken" });
      } else if (w.takenAt !== undefined && inFlight + q.messages.length + q.delayedMessages.length === 0) {
        const seconds = (performance.now() - w.takenAt) / 1000;
        const cpu = process.cpuUsage(w.cpuAtTaken);
        watch = undefined;
        send({ event: "drained", seconds, receives: w.receives, deletes: w.deletes, s3Gets: w.s3Gets, emulatorCpuSeconds: (cpu.user + cpu.system) / 1e6 });
      }
    } else if (req.method === "GET" && w.takenAt !== undefined) {
      w.s3Gets++;
    }
  }
  done();
});

type Command =
  | { id: number; cmd: "put"; bucket: string; objects: Array<{ key: string; path: string }> }
  | { id: number; cmd: "clear"; bucket: string }
  | { id: number; cmd: "watch"; queue: string };

process.on("message", (m: Command) => {
  void (async () => {
    try {
      if (m.cmd === "put") {
        s3Store.createBucket(m.bucket);
        for (const o of m.objects) s3Store.putObject(m.bucket, o.key, await readFile(o.path));
      } else if (m.cmd === "clear") {
        s3Store.emptyBucket(m.bucket);
      } else if (m.cmd === "watch") {
        const queue = sqsStore.getQueueByName(m.queue);
        if (!queue) throw new Error(`no queue ${m.queue}`);
        watch = { queue, receives: 0, deletes: 0, s3Gets: 0 };
      }
      send({ id: m.id, ok: true });
    } catch (e) {
      send({ id: m.id, ok: false, error: (e as Error).message });
    }
  })();
});
process.on("disconnect", () => void app.close().then(() => process.exit(0)));
for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => void app.close().then(() => process.exit(0)));

const address = await app.listen({ host: "127.0.0.1", port: Number(process.env.S3BEAT_BENCH_EMULATOR_PORT ?? 0) });
const endpoint = `http://127.0.0.1:${new URL(address).port}`;
console.log(`endpoint ${endpoint}`);
send({ event: "ready", endpoint });
