// Fault suite (on demand): a collector that ACKs late, or drops connections, for longer than the visibility timeout.
import { afterAll, describe, expect, it } from "vitest";
import { useTestAws, waitFor } from "../support/aws.ts";
import { corpus, logstashOutput, lumberjackMessages, Scenario } from "../support/faultHarness.ts";
import { startLumberjackServer } from "../support/lumberjackServer.ts";
import { printOwnRows } from "../support/tally.ts";

const BUCKET = "faults-collector";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const LJ = ["timeout: 3s", "backoff.init: 1s", "backoff.max: 2s"];

describe("fault suite: collector", () => {
  const env = useTestAws(BUCKET);
  afterAll(printOwnRows);

  it("slow: every ACK 6 s late (> visibility 4 s, keep-alives meanwhile) for 15 s: nothing retried or lost", async () => {
    const s = await Scenario.create(env, { name: "collector ACKs 6 s late for 15 s", slug: "collector-slow", bucket: BUCKET, maxReceiveCount: 3 });
    const server = await startLumberjackServer({ keepAliveMs: 1000 });
    try {
      await s.add(corpus("cs", 10, 1500));
      const d = s.start(await s.config({ output: logstashOutput(server.address, LJ) }));
      await waitFor("1000 events acknowledged", () => server.acked >= 1000, 30_000, 25);
      server.set({ ackDelayMs: 6000 });
      const ackedAtSlow = server.acked;
      await sleep(15_000);
      const ackedWhileSlow = server.acked - ackedAtSlow;
      server.set({ ackDelayMs: 0 });
      await s.waitDrained(60_000);
      expect((await d.stop()).code).toBe(0);
      const { tally } = s.finish(lumberjackMessages(server));
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect(ackedWhileSlow).toBeLessThan(tally.expected - ackedAtSlow); // the premise: it was slow mid-run
      // Late is not failed: visibility was extended, the connection kept (keep-alives), nothing re-sent.
      expect(d.stats()).toMatchObject({ messagesRetried: 0, objectsFailed: 0 });
      expect((await s.depth()).dlq).toBe(0);
    } finally {
      await s.cleanup();
      await server.stop();
    }
  });

  it("dropping: the collector closes every connection after 400 events, unacknowledged, for 12 s: nothing lost", async () => {
    const s = await Scenario.create(env, { name: "collector drops connections for 12 s", slug: "collector-drop", bucket: BUCKET, maxReceiveCount: 3 });
    const server = await startLumberjackServer();
    try {
      await s.add(corpus("cd", 10, 1500));
      const d = s.start(await s.config({ output: logstashOutput(server.address, LJ) }));
      await waitFor("1000 events acknowledged", () => server.acked >= 1000, 30_000, 25);
      server.set({ dropAfterEvents: 400 });
      const connectionsAtDrop = server.connections;
      await sleep(12_000);
      server.set({ dropAfterEvents: 0 });
      await s.waitDrained(60_000);
      expect((await d.stop()).code).toBe(0);
      const { tally } = s.finish(lumberjackMessages(server), `${server.connections - connectionsAtDrop} reconnects`);
      expect(tally.lostSample).toEqual([]);
      expect(tally.lost).toBe(0);
      expect(tally.unexpected).toBe(0);
      expect(server.connections - connectionsAtDrop).toBeGreaterThan(2);
      expect(d.stats()).toMatchObject({ messagesRetried: 0, objectsFailed: 0 });
      expect((await s.depth()).dlq).toBe(0);
    } finally {
      await s.cleanup();
      await server.stop();
    }
  });
});
