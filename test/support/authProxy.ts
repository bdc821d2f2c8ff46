import { randomBytes, randomUUID } from "node:crypto";
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { parseSigV4Authorization, type StsFake } from "./sts.ts";

/** One permission: IAM-style action and resource globs ("*" matches anything, "/" included). */
export interface ProxyStatement {
  /** e.g. "s3:GetObject", "sqs:ReceiveMessage", "s3:*", "*" (case-insensitive, like IAM). */
  actions: string[];
  /** Queue names, or "bucket" / "bucket/key" for S3. */
  resources: string[];
}

/** Why the proxy forwarded or refused a request. The S3 wire code differs for InvalidClientTokenId: see startAuthProxy. */
export type ProxyOutcome = "forwarded" | "ExpiredToken" | "AccessDenied" | "InvalidClientTokenId" | "html";

/** One request as the proxy saw it. For a CopyObject, action/resource are the first permission refused (or the PutObject). */
export interface ProxyRequest {
  at: number;
  service: "s3" | "sqs";
  action: string;
  resource: string;
  accessKeyId: string;
  roleArn?: string;
  sessionToken?: string;
  outcome: ProxyOutcome;
}

/** An authorising HTTP proxy in front of the S3+SQS emulator. */
export interface AuthProxy {
  /** Use as the S3 and SQS endpoint of the client under test. */
  endpoint: string;
  /** What a role may do (adds to earlier grants). */
  allow(roleArn: string, statements: ProxyStatement[]): void;
  /** Long-term keys accepted without a session token (for tests without assume-role). */
  allowBaseKey(accessKeyId: string): void;
  /**
   * Requests for these resources (globs as in `allow`: queue names, "bucket", "bucket/key") are
   * answered with `status` and an HTML page, as a corporate proxy, a firewall or a wrong endpoint
   * would, before any authorisation (outcome "html"). Later rules are tried first.
   */
  answerHtml(rule: { status: number; resources: string[] }): void;
  /** Every request, in arrival order. */
  readonly requests: ProxyRequest[];
  stop(): Promise<void>;
}

interface Need {
  action: string;
  resource: string;
}

const SQS_ACTION_ALIASES: Record<string, string> = {
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
  SendMessageBatch: "SendMessage",
};

/** The permission an SQS JSON request needs. */
function sqsNeed(target: string, body: Buffer): Need {
  const op = target.slice("AmazonSQS.".length);
  let input: { QueueUrl?: unknown; QueueName?: unknown } = {};
  try {
    input = JSON.parse(body.toString("utf8")) as typeof input;
  } catch {
    // Unparseable: upstream will answer; the resource stays "*".
  }
  const resource =
    typeof input.QueueUrl === "string" ? input.QueueUrl.replace(/\/+$/, "").split("/").pop()! : typeof input.QueueName === "string" ? input.QueueName : "*";
  return { action: `sqs:${SQS_ACTION_ALIASES[op] ?? op}`, resource };
}

/** The permissions a path-style S3 request needs (two for CopyObject). */
function s3Needs(method: string, url: URL, headers: IncomingHttpHeaders): Need[] {
  const [, rawBucket = "", ...rest] = url.pathname.split("/");
  const bucket = decodeURIComponent(rawBucket);
  const key = decodeURIComponent(rest.join("/"));
  const q = url.searchParams;
  if (bucket === "") return [{ action: "s3:ListAllMyBuckets", resource: "*" }];
  if (key === "") {
    const action =
      method === "PUT" && [...q.keys()].length === 0
        ? "s3:CreateBucket"
        : method === "DELETE"
          ? "s3:DeleteBucket"
          : method === "POST" && q.has("delete")
            ? "s3:DeleteObject"
            : q.has("location")
              ? "s3:GetBucketLocation"
              : q.has("uploads")
                ? "s3:ListBucketMultipartUploads"
                : q.has("versions")
                  ? "s3:ListBucketVersions"
                  : "s3:ListBucket";
    return [{ action, resource: action === "s3:DeleteObject" ? `${bucket}/*` : bucket }];
  }
  const resource = `${bucket}/${key}`;
  if (method === "GET" || method === "HEAD") {
    return [{ action: q.has("uploadId") ? "s3:ListMultipartUploadParts" : q.has("tagging") ? "s3:GetObjectTagging" : "s3:GetObject", resource }];
  }
  if (method === "DELETE")
    return [{ action: q.has("uploadId") ? "s3:AbortMultipartUpload" : q.has("tagging") ? "s3:DeleteObjectTagging" : "s3:DeleteObject", resource }];
  if (method === "PUT" && q.has("tagging")) return [{ action: "s3:PutObjectTagging", resource }];
  const needs = [{ action: "s3:PutObject", resource }]; // PUT, multipart create/part/complete
  const source = headers["x-amz-copy-source"];
  if (typeof source === "string") {
    needs.push({ action: "s3:GetObject", resource: decodeURIComponent(source.split("?")[0]!.replace(/^\//, "")) });
  }
  return needs;
}

const globRe = (glob: string, flags = "") =>
  new RegExp(
    `^${glob
      .split("*")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    flags,
  );

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A refusal in the shape of the service that sends it. */
interface Refusal {
  outcome: Exclude<ProxyOutcome, "forwarded">;
  s3: { status: number; code: string; message: string };
  sqs: { status: number; code: string; type: string; message: string };
}

const INVALID_TOKEN_SQS = {
  status: 403,
  code: "InvalidClientTokenId",
  type: "UnrecognizedClientException",
  message: "The security token included in the request is invalid.",
};

/**
 * Starts the proxy on 127.0.0.1 (random port). Each request is classified (SQS by `x-amz-target:
 * AmazonSQS.*` with a JSON body, everything else path-style S3), authorised against the STS fake's
 * sessions and the grants given to `allow`, then streamed to `upstream` unchanged or refused the
 * way AWS refuses it, so the real SDK parses the code into `err.name`:
 * - expired session: S3 400 `ExpiredToken`; SQS 403 `ExpiredToken` (JSON + `x-amzn-query-error`).
 * - not granted: 403 `AccessDenied` with IAM's "no identity-based policy allows" message.
 * - unknown key / missing or wrong token (outcome InvalidClientTokenId): SQS 403
 *   `InvalidClientTokenId`; S3 answers as S3 does, 403 `InvalidAccessKeyId` for an unknown key or a
 *   session key without a token, 400 `InvalidToken` for a wrong token.
 * Signatures of S3/SQS requests are not verified (the STS fake verifies its own).
 */
export async function startAuthProxy(opts: { upstream: string; sts: StsFake; account?: string }): Promise<AuthProxy> {
  const account = opts.account ?? "000000000000";
  const upstream = new URL(opts.upstream);
  const agent = new Agent({ keepAlive: true });
  const grants = new Map<string, Array<{ actions: RegExp[]; resources: RegExp[] }>>();
  const baseKeys = new Set<string>();
  const requests: ProxyRequest[] = [];
  const htmlRules: Array<{ status: number; resources: RegExp[] }> = [];

  const allowed = (roleArn: string, need: Need) =>
    (grants.get(roleArn) ?? []).some((g) => g.actions.some((a) => a.test(need.action)) && g.resources.some((r) => r.test(need.resource)));

  function decide(service: "s3" | "sqs", needs: Need[], akid: string, token: string | undefined, region: string): { entry: ProxyRequest; refusal?: Refusal } {
    const entry: ProxyRequest = {
      at: Date.now(),
      service,
      ...needs[0]!,
      accessKeyId: akid,
      ...(token !== undefined ? { sessionToken: token } : {}),
      outcome: "forwarded",
    };
    if (baseKeys.has(akid)) return { entry };
    const session = opts.sts.sessionFor(akid);
    if (!session || token !== session.sessionToken) {
      entry.outcome = "InvalidClientTokenId";
      const s3 =
        session && token !== undefined
          ? { status: 400, code: "InvalidToken", message: "The provided token is malformed or otherwise invalid." }
          : { status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
      return { entry, refusal: { outcome: entry.outcome, s3, sqs: INVALID_TOKEN_SQS } };
    }
    entry.roleArn = session.roleArn;
    if (session.expired()) {
      entry.outcome = "ExpiredToken";
      return {
        entry,
        refusal: {
          outcome: entry.outcome,
          s3: { status: 400, code: "ExpiredToken", message: "The provided token has expired." },
          sqs: { status: 403, code: "ExpiredToken", type: "ExpiredTokenException", message: "The security token included in the request is expired" },
        },
      };
    }
    const denied = needs.find((n) => !allowed(session.roleArn, n));
    if (!denied) return { entry };
    Object.assign(entry, denied, { outcome: "AccessDenied" });
    const who = `User: ${session.assumedRoleArn} is not authorized to perform:`;
    const sqsAction = denied.action.toLowerCase(); // SQS quotes actions lower-cased
    return {
      entry,
      refusal: {
        outcome: "AccessDenied",
        s3: {
          status: 403,
          code: "AccessDenied",
          message: `${who} ${denied.action} on resource: "arn:aws:s3:::${denied.resource}" because no identity-based policy allows the ${denied.action} action`,
        },
        sqs: {
          status: 403,
          code: "AccessDenied",
          type: "AccessDeniedException",
          message: `${who} ${sqsAction} on resource: arn:aws:sqs:${region}:${account}:${denied.resource} because no identity-based policy allows the ${sqsAction} action`,
        },
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://placeholder");
    const auth = parseSigV4Authorization(header(req.headers, "authorization"));
    const credential = auth ? undefined : url.searchParams.get("X-Amz-Credential")?.split("/"); // presigned URL
    const akid = auth?.accessKeyId ?? credential?.[0] ?? "";
    const region = auth?.region ?? credential?.[2] ?? "us-east-1";
    const token = header(req.headers, "x-amz-security-token") ?? url.searchParams.get("X-Amz-Security-Token") ?? undefined;
    const target = header(req.headers, "x-amz-target");
    const isSqs = target?.startsWith("AmazonSQS.") === true;
    let body: Buffer | undefined; // SQS bodies are small and name the queue; S3 bodies stream through
    if (isSqs) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = Buffer.concat(chunks);
    }
    const needs = isSqs ? [sqsNeed(target!, body!)] : s3Needs(method, url, req.headers);
    const html = htmlRules.find((r) => needs.some((n) => r.resources.some((re) => re.test(n.resource))));
    if (html) {
      requests.push({
        at: Date.now(),
        service: isSqs ? "sqs" : "s3",
        ...needs[0]!,
        accessKeyId: akid,
        ...(token !== undefined ? { sessionToken: token } : {}),
        outcome: "html",
      });
      req.resume();
      return answerHtml(res, html.status, method);
    }
    const { entry, refusal } = decide(isSqs ? "sqs" : "s3", needs, akid, token, region);
    requests.push(entry);
    if (refusal) {
      req.resume(); // drain an unread upload so the connection stays usable
      return isSqs ? refuseSqs(res, refusal.sqs) : refuseS3(res, refusal.s3, method);
    }
    await forward(req, res, body);
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): Promise<void> {
    const reqHeaders = { ...req.headers };
    for (const h of HOP_BY_HOP) delete reqHeaders[h];
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: reqHeaders, agent });
    res.on("close", () => {
      if (!res.writableFinished) up.destroy(); // client went away mid-response
    });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      up.once("response", resolve);
      up.once("error", reject);
    });
    const sent = body === undefined ? pipeline(req, up) : new Promise<void>((resolve, reject) => up.end(body, () => resolve()).once("error", reject));
    sent.catch(() => {}); // a failed upload also fails the response, handled below
    try {
      const upRes = await answered;
      const headers = { ...upRes.headers };
      for (const h of HOP_BY_HOP) delete headers[h];
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, headers);
      await pipeline(upRes, res);
      await sent;
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    allow(roleArn, statements) {
      const list = grants.get(roleArn) ?? [];
      for (const s of statements) list.push({ actions: s.actions.map((a) => globRe(a, "i")), resources: s.resources.map((r) => globRe(r)) });
      grants.set(roleArn, list);
    },
    allowBaseKey: (akid) => void baseKeys.add(akid),
    answerHtml: (rule) => void htmlRules.unshift({ status: rule.status, resources: rule.resources.map((r) => globRe(r)) }),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

// Per-connection headers; `expect` too, since this server already answered the 100-continue.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect"];

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function refuseS3(res: ServerResponse, e: Refusal["s3"], method: string): void {
  const requestId = randomBytes(8).toString("hex").toUpperCase();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message><RequestId>${requestId}</RequestId><HostId>${randomBytes(48).toString("base64")}</HostId></Error>`;
  res.writeHead(e.status, {
    "content-type": "application/xml",
    "x-amz-request-id": requestId,
    "x-amz-id-2": randomBytes(48).toString("base64"),
    ...(method === "HEAD" ? {} : { "content-length": Buffer.byteLength(xml) }), // S3 sends no error body to HEAD
  });
  res.end(method === "HEAD" ? undefined : xml);
}

/** What a proxy or firewall sends: a web page, not AWS's XML/JSON (and, as S3 does, no body to a HEAD). */
function answerHtml(res: ServerResponse, status: number, method: string): void {
  const page = `<!DOCTYPE html>\n<html><head><title>HTTP ${status}</title></head><body><h1>Access to this site is blocked</h1><p>Contact your network administrator.</p></body></html>`;
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...(method === "HEAD" ? {} : { "content-length": Buffer.byteLength(page) }) });
  res.end(method === "HEAD" ? undefined : page);
}

function refuseSqs(res: ServerResponse, e: Refusal["sqs"]): void {
  // awsQueryCompatible: the SDK takes the code from x-amzn-query-error, not from __type.
  const json = JSON.stringify({ __type: `com.amazon.coral.service#${e.type}`, message: e.message });
  res.writeHead(e.status, {
    "content-type": "application/x-amz-json-1.0",
    "x-amzn-requestid": randomUUID(),
    "x-amzn-query-error": `${e.code};Sender`,
    "content-length": Buffer.byteLength(json),
  });
  res.end(json);
}
