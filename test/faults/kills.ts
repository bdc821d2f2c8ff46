/**
 * SIGKILL at chosen points of the daemon's work, shared by the CI and on-demand kill scenarios.
 * The S3 and SQS endpoints go through a fault proxy so that a kill can land exactly in a receive
 * or between the output's acknowledgement and the delete.
 */
import { rng } from "../support/chunks.ts";
import type { FaultProxy } from "../support/faultProxy.ts";
import type { Scenario } from "../support/faultHarness.ts";

export type KillPoint =
  /** After the output grew by a random number of events (an object is being read and written). */
  | "mid-object"
  /** While a ReceiveMessage is answered upstream but its answer is held: the messages are hidden, never seen. */
  | "during-receive"
  /** Every event of a message acknowledged, its DeleteMessageBatch held: the delete never reaches SQS. */
  | "before-delete"
  /** At a random time 0.2–3 s after the start. */
  | "random";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The seed of the random kill points: $S3BEAT_FAULTS_SEED, else fixed. */
export const SEED = Number(process.env.S3BEAT_FAULTS_SEED ?? 11);

/**
 * Runs the daemon once per kill point and SIGKILLs it there, restarting it each time; then lets a
 * last run drain the queue and stops it with SIGTERM. `progress` counts events delivered so far.
 * Returns where each kill landed (progress at that moment) and how the last run exited (the caller
 * asserts, after recording the tally).
 */
export async function killAt(
  s: Scenario,
  cfg: string,
  proxy: FaultProxy,
  points: KillPoint[],
  progress: () => number | Promise<number>,
  opts: { drainTimeoutMs?: number; seed?: number } = {},
): Promise<{ landed: string[]; lastExit: { code: number | null; signal: NodeJS.Signals | null } }> {
  const random = rng(opts.seed ?? SEED);
  const landed: string[] = [];
  // Progress counts arrivals (duplicates included): kill points stay below the corpus's size.
  const total = s.expected.length;
  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await check()) return;
      await sleep(25);
    }
    throw new Error(`kill point never reached: ${what} (the corpus was drained too early?)\n${s.stderrTail()}`);
  };
  for (const point of points) {
    const d = s.start(cfg);
    const base = await progress();
    if (point === "mid-object") {
      const target = Math.min(base + 300 + Math.floor(random() * 3000), total - 500);
      await until(`${target} events`, async () => (await progress()) >= target);
    } else if (point === "random") {
      await sleep(200 + Math.floor(random() * 2800));
    } else {
      // Let work be under way first, so that messages are in progress when the fault hits.
      await until("first events of this run", async () => (await progress()) >= Math.min(base + 100, total - 100));
      let fired = false;
      const rule = proxy.add(
        point === "during-receive"
          ? {
              name: "hold-receive",
              service: "sqs",
              action: "ReceiveMessage",
              fault: { kind: "delay-response", ms: 2000 },
              count: 1,
              onFault: () => void (fired = true),
            }
          : {
              name: "hold-delete",
              service: "sqs",
              action: "DeleteMessageBatch",
              fault: { kind: "delay", ms: 5000 },
              count: 1,
              onFault: () => void (fired = true),
            },
      );
      try {
        await until(point, () => fired);
      } finally {
        rule.remove();
      }
      if (point === "during-receive") await sleep(300); // the receive's answer is held upstream-done
    }
    await d.kill();
    landed.push(`${point}@${await progress()}`);
  }
  const last = s.start(cfg);
  try {
    await s.waitDrained(opts.drainTimeoutMs ?? 90_000);
  } catch (err) {
    await last.kill();
    throw err;
  }
  return { landed, lastExit: await last.stop() };
}
