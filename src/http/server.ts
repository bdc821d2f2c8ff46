/**
 * The monitoring endpoint (libbeat's `http.*`): `/` (identity), `/healthz` (liveness), `/readyz`
 * (readiness), `/metrics` (Prometheus). Four read-only GET routes need no web framework; node:http
 * keeps the production install small.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Health } from "../telemetry/health.ts";
import type { Metrics } from "../telemetry/metrics.ts";

export interface HttpEndpointOptions {
  host: string;
  port: number;
  health: Health;
  metrics: Metrics;
  info: () => Record<string, unknown>;
}

export class HttpEndpoint {
  readonly #opts: HttpEndpointOptions;
  readonly #server: Server;
  readonly #delay = monitorEventLoopDelay({ resolution: 50 });
  #recentMaxMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: HttpEndpointOptions) {
    this.#opts = opts;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => send(res, 500, { error: (err as Error)?.message ?? String(err) }));
    });
    // A probe that hangs must not hold a socket (or the process at shutdown) open.
    this.#server.requestTimeout = 10_000;
    this.#server.keepAliveTimeout = 5_000;
    opts.health.eventLoopDelayMs = () => Math.max(this.#recentMaxMs, this.#delay.max / 1e6);
  }

  /** Listens; rejects with a message naming the setting when the address cannot be used. */
  async listen(): Promise<AddressInfo> {
    const { host, port } = this.#opts;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const why = err.code === "EADDRINUSE" ? "the port is in use" : err.code === "EADDRNOTAVAIL" ? "no interface has that address" : err.message;
        reject(new Error(`http endpoint cannot listen on ${host}:${port}: ${why}; change http.host / http.port or set http.enabled: false`, { cause: err }));
      };
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        resolve();
      });
    });
    this.#delay.enable();
    // The delay histogram is read in windows, so one long-past stall does not fail liveness forever.
    this.#timer = setInterval(() => {
      this.#recentMaxMs = this.#delay.max / 1e6;
      this.#delay.reset();
    }, 10_000);
    this.#timer.unref();
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#delay.disable();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: "only GET" }, { Allow: "GET, HEAD" });
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    switch (path) {
      case "/":
        return send(res, 200, this.#opts.info());
      case "/healthz": {
        const l = this.#opts.health.liveness();
        return send(res, l.live ? 200 : 503, l.live ? { status: "ok" } : { status: "wedged", stuck: l.stuck });
      }
      case "/readyz": {
        const r = this.#opts.health.readiness();
        return send(res, r.ready ? 200 : 503, { status: r.ready ? "ready" : "not ready", ...(r.ready ? {} : { notReady: r.notReady }), parts: r.parts });
      }
      case "/metrics": {
        const registry = this.#opts.metrics.registry;
        const text = await registry.metrics();
        res.writeHead(200, { "Content-Type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
        return;
      }
      default:
        return send(res, 404, { error: `no such path: ${path}; try /, /healthz, /readyz or /metrics` });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}
