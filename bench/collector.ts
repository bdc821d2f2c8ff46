/**
 * The project's lumberjack v2 test server (test/support/lumberjackServer.ts) in a process of its
 * own, counting events without keeping or parsing them. Prints `address 127.0.0.1:PORT`; forked with IPC it
 * answers {id, cmd: "count"} with {received, acked, errors}.
 */
import { startLumberjackServer } from "../test/support/lumberjackServer.ts";

// Counting, not parsing: on 2 cores, JSON.parse of every event took most of the core that s3beat's
// thread pool (gunzip, deflate) runs on. Framing, sequence numbers and inflating are still checked.
const server = await startLumberjackServer({ keepEvents: false, parseJson: false });
const send = (m: unknown) => process.send?.(m);

process.on("message", (m: { id: number; cmd: "count" }) => {
  if (m.cmd === "count") send({ id: m.id, ok: true, received: server.received, acked: server.acked, errors: server.errors.slice(0, 5) });
});
const stop = () => void server.stop().then(() => process.exit(0));
process.on("disconnect", stop);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

console.log(`address ${server.address}`);
send({ event: "ready", address: server.address });
