/**
 * An HTTP proxy in front of the emulator that stalls S3 object bodies: for a GET whose path
 * contains `stallMarker`, it forwards the headers and the first `bytesBeforeStall` bytes, then sends
 * nothing more and never ends the response (a download that hangs mid-body). Everything else passes.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface StallProxy {
  endpoint: string;
  /** Bodies currently held stalled. */
  readonly stalled: number;
  stop(): Promise<void>;
}

export async function startStallProxy(opts: { upstream: string; stallMarker: string; bytesBeforeStall?: number }): Promise<StallProxy> {
  const upstream = new URL(opts.upstream);
  const keep = opts.bytesBeforeStall ?? 64 * 1024;
  const sockets = new Set<Socket>();
  let stalled = 0;
  const server: Server = createServer((req, res) => {
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      const stall = req.method === "GET" && (req.url ?? "").includes(opts.stallMarker);
      if (!stall) {
        upRes.pipe(res);
        return;
      }
      let sent = 0;
      upRes.on("data", (chunk: Buffer) => {
        if (sent >= keep) return;
        const part = chunk.subarray(0, keep - sent);
        sent += part.length;
        res.write(part);
        if (sent >= keep) {
          stalled++;
          upRes.pause(); // hold the rest forever
        }
      });
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get stalled() {
      return stalled;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
