/**
 * A fault-injecting HTTP proxy for the fault suite (test/faults): put it in front of the S3+SQS
 * emulator (endpoints.s3 / endpoints.sqs, and the queue URL through {@link FaultProxy.via}) or in
 * front of the STS fake (endpoints.sts), then program rules. Each request is classified (SQS: the
 * `X-Amz-Target: AmazonSQS.*` JSON protocol or an `Action=` query/form request; STS: an `Action=`
 * of STS; everything else path-style S3) and the first enabled rule that matches applies its fault;
 * requests that no rule takes are streamed to the upstream unchanged.
 *
 * Faults: an AWS-shaped error (S3 XML, SQS JSON with x-amzn-query-error or query XML, STS XML), a
 * socket destroyed without an answer, a request held before forwarding, a response held after the
 * upstream acted (the client dies with the work done upstream), a body cut by a reset after N bytes,
 * or a body trickled at a given rate. Rules fire with a probability (seeded, reproducible) and at
 * most `count` times.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { rng } from "./chunks.ts";

export type Service = "s3" | "sqs" | "sts";

export type Fault =
  /** Answer with this status and an error body in the shape of the service (code as AWS spells it). */
  | { kind: "error"; status: number; code: string; message?: string }
  /** Destroy the client's socket without answering (a connection reset before any byte). */
  | { kind: "refuse" }
  /** Hold the request this long, then forward it (dropped if the client went away meanwhile). */
  | { kind: "delay"; ms: number }
  /** Forward at once, hold the upstream's answer this long: the work is done upstream, the client waits. */
  | { kind: "delay-response"; ms: number }
  /** Forward; send the headers and the first `bytes` bytes of the body, then destroy the socket. */
  | { kind: "reset-after"; bytes: number }
  /** Forward; send the body at this rate. */
  | { kind: "slow-body"; bytesPerSecond: number };

/** What a rule matches on (every given field must match). */
export interface RequestInfo {
  at: number;
  service: Service;
  method: string;
  /** Decoded path, e.g. /bucket/some key.log or /000000000000/queue-name. */
  path: string;
  /** Raw query string without "?". */
  query: string;
  /** SQS/STS operation: ReceiveMessage, DeleteMessageBatch, AssumeRole, … (S3: undefined). */
  action?: string;
  /** What happened: "forwarded" or the fault kind, with the rule's name. */
  outcome: string;
  rule?: string;
  /** For the request log: the SQS/STS request body (small), never an S3 body. */
  body?: string;
}

export interface FaultRule {
  name?: string;
  service?: Service;
  method?: string;
  /** A substring of the decoded path, or a regex on it. */
  path?: string | RegExp;
  /** A query parameter that must be present, or a regex on the raw query string. */
  query?: string | RegExp;
  /** The SQS/STS operation (exact name or regex). */
  action?: string | RegExp;
  /** Anything else (e.g. the SQS JSON body). */
  when?: (req: RequestInfo) => boolean;
  fault: Fault;
  /** Chance that a matching request is faulted, 0–1. Default 1. */
  probability?: number;
  /** Fires at most this many times. Default unlimited. */
  count?: number;
  /** Called when the rule fires (before the fault is applied). */
  onFault?: (req: RequestInfo) => void;
}

export interface RuleHandle {
  readonly name: string;
  /** Times it fired. */
  readonly hits: number;
  /** Stops it firing (requests already held keep their fault). */
  remove(): void;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** A queue URL (or any upstream URL) re-pointed at the proxy: same path, the proxy's host. */
  via(url: string): string;
  /** Adds a rule; earlier rules are tried first. */
  add(rule: FaultRule): RuleHandle;
  /** Removes every rule. */
  clear(): void;
  /** Every request, in arrival order. */
  readonly requests: RequestInfo[];
  /** Requests matching a filter (same fields as a rule), e.g. count({ action: "DeleteMessageBatch" }). */
  count(filter: Omit<FaultRule, "fault">, outcome?: string): number;
  stop(): Promise<void>;
}

const STS_ACTIONS = new Set(["AssumeRole", "GetCallerIdentity", "AssumeRoleWithWebIdentity", "GetSessionToken"]);
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect"];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** AWS's usual wording for the codes the suite uses. */
const DEFAULT_MESSAGES: Record<string, string> = {
  SlowDown: "Please reduce your request rate.",
  InternalError: "We encountered an internal error. Please try again.",
  ServiceUnavailable: "Service is unable to handle request.",
  ThrottlingException: "Rate exceeded",
  RequestThrottled: "Request is throttled.",
  InternalFailure: "The request processing has failed because of an unknown error, exception or failure.",
};

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function matches(rule: Omit<FaultRule, "fault">, req: RequestInfo): boolean {
  if (rule.service !== undefined && rule.service !== req.service) return false;
  if (rule.method !== undefined && rule.method.toUpperCase() !== req.method) return false;
  if (rule.path !== undefined && !(typeof rule.path === "string" ? req.path.includes(rule.path) : rule.path.test(req.path))) return false;
  if (rule.query !== undefined && !(typeof rule.query === "string" ? new URLSearchParams(req.query).has(rule.query) : rule.query.test(req.query))) return false;
  if (rule.action !== undefined && !(typeof rule.action === "string" ? req.action === rule.action : req.action !== undefined && rule.action.test(req.action)))
    return false;
  if (rule.when && !rule.when(req)) return false;
  return true;
}

/** Starts the proxy on 127.0.0.1 (random port) in front of `upstream`. `seed` makes probabilities reproducible. */
export async function startFaultProxy(opts: { upstream: string; seed?: number }): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const agent = new Agent({ keepAlive: true });
  const random = rng(opts.seed ?? 1);
  const sockets = new Set<Socket>();
  const requests: RequestInfo[] = [];
  const rules: Array<{ rule: FaultRule; name: string; hits: number; removed: boolean }> = [];
  let seq = 0;

  async function classify(req: IncomingMessage): Promise<{ info: RequestInfo; body: Buffer | undefined }> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://placeholder");
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const target = header(req.headers, "x-amz-target");
    const form = (header(req.headers, "content-type") ?? "").startsWith("application/x-www-form-urlencoded");
    let body: Buffer | undefined;
    let service: Service = "s3";
    let action: string | undefined;
    if (target?.startsWith("AmazonSQS.") || form || url.searchParams.has("Action")) {
      // Small bodies that name the operation: read them whole (S3 bodies stream through).
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = Buffer.concat(chunks);
      if (target?.startsWith("AmazonSQS.")) {
        service = "sqs";
        action = target.slice("AmazonSQS.".length);
      } else {
        const p = new URLSearchParams(url.search);
        for (const [k, v] of new URLSearchParams(body.toString("utf8"))) p.set(k, v);
        action = p.get("Action") ?? undefined;
        service = action !== undefined && STS_ACTIONS.has(action) ? "sts" : "sqs";
      }
    }
    const info: RequestInfo = { at: Date.now(), service, method, path, query: url.search.replace(/^\?/, ""), outcome: "forwarded" };
    if (action !== undefined) info.action = action;
    if (body !== undefined && body.length <= 64 * 1024) info.body = body.toString("utf8");
    return { info, body };
  }

  function pick(info: RequestInfo): { fault: Fault; name: string } | undefined {
    for (const r of rules) {
      if (r.removed || (r.rule.count !== undefined && r.hits >= r.rule.count)) continue;
      if (!matches(r.rule, info)) continue;
      if (r.rule.probability !== undefined && random() >= r.rule.probability) continue;
      r.hits++;
      r.rule.onFault?.(info);
      return { fault: r.rule.fault, name: r.name };
    }
    return undefined;
  }

  function answerError(res: ServerResponse, info: RequestInfo, f: Extract<Fault, { kind: "error" }>, jsonProtocol: boolean): void {
    const message = f.message ?? DEFAULT_MESSAGES[f.code] ?? f.code;
    const requestId = randomUUID();
    const side = f.status >= 500 ? "Receiver" : "Sender";
    if (info.service === "sqs" && jsonProtocol) {
      // awsQueryCompatible: the SDK takes the code from x-amzn-query-error.
      const json = JSON.stringify({ __type: `com.amazonaws.sqs#${f.code}`, message });
      res.writeHead(f.status, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": requestId,
        "x-amzn-query-error": `${f.code};${side}`,
        "content-length": Buffer.byteLength(json),
      });
      res.end(json);
      return;
    }
    if (info.service === "s3") {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId><HostId>${randomBytes(48).toString("base64")}</HostId></Error>`;
      const head = info.method === "HEAD";
      res.writeHead(f.status, {
        "content-type": "application/xml",
        "x-amz-request-id": requestId,
        ...(head ? {} : { "content-length": Buffer.byteLength(xml) }),
      });
      res.end(head ? undefined : xml);
      return;
    }
    // Query protocol (STS, old SQS).
    const ns = info.service === "sts" ? "https://sts.amazonaws.com/doc/2011-06-15/" : "http://queue.amazonaws.com/doc/2012-11-05/";
    const xml = `<ErrorResponse xmlns="${ns}"><Error><Type>${side}</Type><Code>${f.code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    res.writeHead(f.status, { "content-type": "text/xml", "x-amzn-requestid": requestId, "content-length": Buffer.byteLength(xml) });
    res.end(xml);
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, fault: Fault | undefined): Promise<void> {
    const headers = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent });
    let clientGone = false;
    res.on("close", () => {
      clientGone = !res.writableFinished;
      if (clientGone) up.destroy();
    });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      up.once("response", resolve);
      up.once("error", reject);
    });
    if (body !== undefined) up.end(body);
    else req.pipe(up);
    let upRes: IncomingMessage;
    try {
      upRes = await answered;
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
      return;
    }
    if (fault?.kind === "delay-response") {
      // Buffer the answer (small: SQS) while holding it.
      const chunks: Buffer[] = [];
      for await (const c of upRes) chunks.push(c as Buffer);
      await sleep(fault.ms);
      if (clientGone || res.destroyed) return;
      const h = { ...upRes.headers };
      for (const x of HOP_BY_HOP) delete h[x];
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, h);
      res.end(Buffer.concat(chunks));
      return;
    }
    const h = { ...upRes.headers };
    for (const x of HOP_BY_HOP) delete h[x];
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, h);
    try {
      if (fault?.kind === "reset-after" && (upRes.statusCode ?? 0) < 300) {
        let sent = 0;
        for await (const c of upRes) {
          const chunk = c as Buffer;
          const part = chunk.subarray(0, Math.max(0, fault.bytes - sent));
          if (part.length > 0) {
            sent += part.length;
            await new Promise<void>((r) => res.write(part, () => r()));
          }
          if (sent >= fault.bytes) break;
        }
        upRes.destroy();
        res.socket?.destroy();
        res.destroy();
        return;
      }
      if (fault?.kind === "slow-body") {
        const slice = Math.max(1, Math.floor(fault.bytesPerSecond / 20)); // 20 writes a second
        for await (const c of upRes) {
          const chunk = c as Buffer;
          for (let i = 0; i < chunk.length; i += slice) {
            if (res.destroyed) {
              upRes.destroy();
              return;
            }
            const part = chunk.subarray(i, i + slice);
            await new Promise<void>((r) => res.write(part, () => r()));
            await sleep((part.length / fault.bytesPerSecond) * 1000);
          }
        }
        res.end();
        return;
      }
      for await (const c of upRes) {
        if (res.destroyed) {
          upRes.destroy();
          return;
        }
        if (!res.write(c as Buffer)) await new Promise<void>((r) => res.once("drain", r).once("close", r));
      }
      res.end();
    } catch {
      res.destroy();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { info, body } = await classify(req);
    info.outcome = "forwarded";
    requests.push(info);
    const picked = pick(info);
    const fault = picked?.fault;
    if (picked) {
      info.outcome = picked.fault.kind;
      info.rule = picked.name;
    }
    if (fault?.kind === "error") {
      if (body === undefined) req.resume();
      return answerError(res, info, fault, header(req.headers, "x-amz-target") !== undefined);
    }
    if (fault?.kind === "refuse") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "delay") {
      let gone = false;
      res.once("close", () => (gone = !res.writableFinished));
      await sleep(fault.ms);
      // A client killed meanwhile: its request never reaches the service.
      if (gone || req.socket.destroyed) {
        info.outcome = "delay (client gone, dropped)";
        return;
      }
    }
    await forward(req, res, body, fault);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    via: (url) => {
      const u = new URL(url);
      return `${endpoint}${u.pathname}${u.search}`;
    },
    add(rule) {
      const entry = { rule, name: rule.name ?? `rule-${++seq}`, hits: 0, removed: false };
      rules.push(entry);
      return {
        name: entry.name,
        get hits() {
          return entry.hits;
        },
        remove: () => void (entry.removed = true),
      };
    },
    clear() {
      for (const r of rules) r.removed = true;
      rules.length = 0;
    },
    requests,
    count(filter, outcome) {
      return requests.filter((r) => matches(filter, r) && (outcome === undefined || r.outcome === outcome)).length;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** An AWS-shaped error fault. */
export const awsError = (status: number, code: string, message?: string): Fault => ({ kind: "error", status, code, ...(message ? { message } : {}) });
