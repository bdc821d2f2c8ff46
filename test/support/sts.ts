import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual, type Hash, type Hmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SignatureV4 } from "@smithy/signature-v4";

/** A long-term IAM user key known to the fake. */
export interface StsUser {
  accessKeyId: string;
  secretAccessKey: string;
  /** e.g. arn:aws:iam::111122223333:user/alice: what trust lists name and AccessDenied messages quote. */
  arn: string;
  /** A deactivated key: STS answers InvalidClientTokenId, as for an unknown one. */
  disabled?: boolean;
  /**
   * The user's own IAM policy: the role ARNs it allows sts:AssumeRole on ("*" globs). Unset: any
   * role. A role outside it is refused with AccessDenied, whatever the role's trust policy says.
   */
  assumableRoleArns?: string[];
}

/** A role and the part of its trust policy the fake models. */
export interface StsRole {
  arn: string;
  /** Caller ARNs allowed to assume it (user ARNs; for role chaining the caller's role or assumed-role ARN). */
  trustedUserArns: string[];
  /** When set, AssumeRole must carry exactly this ExternalId (the sts:ExternalId trust condition). */
  externalId?: string;
  /** The role's MaxSessionDuration; default 3600. */
  maxSessionDurationSeconds?: number;
}

/** One AssumeRole call as the fake saw it. */
export interface StsCall {
  at: number;
  /** The signing key id ("" when the request was not signed). */
  accessKeyId: string;
  roleArn: string;
  roleSessionName: string;
  externalId?: string;
  /** As requested (3600 when absent; NaN when not a number). */
  durationSeconds: number;
  /** "ok" or the error code sent back. */
  outcome: string;
}

/** Temporary credentials issued by the fake. */
export interface StsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
  roleSessionName: string;
  /** arn:aws:sts::<account>:assumed-role/<roleName>/<roleSessionName> */
  assumedRoleArn: string;
  issuedAt: number;
  expiresAt: number;
  /** now >= expiresAt, or revoked by expireSessionsOf. */
  expired(): boolean;
}

/** A local STS endpoint speaking the Query API (AssumeRole, GetCallerIdentity) with SigV4 authentication. */
export interface StsFake {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  addUser(u: StsUser): void;
  addRole(r: StsRole): void;
  /** Lifetime of issued credentials, overriding DurationSeconds (tests use a few seconds to cross expiries). */
  credentialLifetimeSeconds: number | undefined;
  /** Every AssumeRole call, accepted or not, in order. */
  readonly calls: StsCall[];
  /** The session issued with this temporary access key id. */
  sessionFor(accessKeyId: string): StsSession | undefined;
  /** Every session of this role issued so far counts as expired from now on; later AssumeRole calls get working ones. */
  expireSessionsOf(roleArn: string): void;
  /**
   * When set, every request is answered with this HTTP status and an HTML page, as a proxy, a
   * firewall or a wrong endpoint would (the call's outcome is recorded as `HTML <status>`).
   */
  htmlAnswerStatus?: number | undefined;
  stop(): Promise<void>;
}

/** The parts of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export interface SigV4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

/** Parses a SigV4 Authorization header; undefined when it is not one. */
export function parseSigV4Authorization(header: string | undefined): SigV4Authorization | undefined {
  const m = header === undefined ? null : AUTH_RE.exec(header.trim());
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(";"), signature: m[6]! };
}

/** SHA-256 / HMAC-SHA-256 in the shape @smithy/signature-v4 wants, on node:crypto. */
class NodeSha256 {
  private h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

function bytes(d: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === "string") return Buffer.from(d, "utf8");
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

/**
 * Whether a header-signed SigV4 request verifies with `secretAccessKey`: the signature is recomputed
 * with @smithy/signature-v4 over exactly the headers the client signed, at the client's x-amz-date.
 */
export async function sigV4Verifies(
  req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  auth: SigV4Authorization,
  secretAccessKey: string,
): Promise<boolean> {
  const amzDate = header(req.headers, "x-amz-date");
  const d = amzDate === undefined ? null : /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(amzDate);
  if (!d || !auth.signedHeaders.includes("host")) return false;
  const signingDate = new Date(Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!));
  const claimed = header(req.headers, "x-amz-content-sha256");
  // The signer trusts a claimed payload hash, so check it against the body here.
  if (claimed !== undefined && /^[0-9a-f]{64}$/.test(claimed) && claimed !== createHash("sha256").update(req.body).digest("hex")) return false;
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = header(req.headers, name);
    if (v === undefined) return false;
    headers[name] = v;
  }
  const url = new URL(req.url, "http://placeholder");
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const token = auth.signedHeaders.includes("x-amz-security-token") ? headers["x-amz-security-token"] : undefined;
  const signer = new SignatureV4({
    service: auth.service,
    region: auth.region,
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey, sessionToken: token },
    sha256: NodeSha256,
    uriEscapePath: auth.service !== "s3", // S3 signs the path as sent; every other service double-escapes
  });
  const signed = await signer.sign(
    { method: req.method, protocol: "http:", hostname: headers.host!.split(":")[0]!, path: url.pathname, query, headers, body: req.body },
    { signingDate, signingRegion: auth.region, signingService: auth.service, signableHeaders: new Set(auth.signedHeaders) },
  );
  const ours = parseSigV4Authorization(header(signed.headers as IncomingHttpHeaders, "authorization"));
  if (!ours || ours.signedHeaders.join(";") !== auth.signedHeaders.join(";")) return false;
  return timingSafeEqual(Buffer.from(ours.signature), Buffer.from(auth.signature));
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : h[key];
  return Array.isArray(v) ? v.join(",") : v;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
function upperAlnum(n: number): string {
  return Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join("");
}

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const SESSION_NAME_RE = /^[\w+=,.@-]*$/;

/** A refusal with STS's status and code. */
class StsError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const deny = {
  invalidToken: () => new StsError(403, "InvalidClientTokenId", "The security token included in the request is invalid."),
  signature: () =>
    new StsError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    ),
  expired: () => new StsError(403, "ExpiredToken", "The security token included in the request is expired"),
  accessDenied: (caller: string, roleArn: string) =>
    new StsError(403, "AccessDenied", `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`),
  validation: (problems: string[]) =>
    new StsError(400, "ValidationError", `${problems.length} validation error${problems.length > 1 ? "s" : ""} detected: ${problems.join("; ")}`),
};

/** Starts the STS fake on 127.0.0.1 (random port). `account` names assumed roles whose ARN carries none. */
export async function startStsFake(opts: { account?: string } = {}): Promise<StsFake> {
  const defaultAccount = opts.account ?? "000000000000";
  const users = new Map<string, StsUser>();
  const roles = new Map<string, StsRole & { roleId: string }>();
  const sessions = new Map<string, StsSession>();
  const revokedBefore = new Map<string, number>(); // roleArn → sessions issued at or before this are revoked
  const calls: StsCall[] = [];
  let seq = 0; // orders issue vs revocation within one millisecond

  /** Who signed the request: a user or a live session. */
  async function authenticate(req: IncomingMessage, body: Buffer): Promise<{ arn: string; userId: string; accessKeyId: string }> {
    const raw = header(req.headers, "authorization");
    if (raw === undefined) throw new StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
    const auth = parseSigV4Authorization(raw);
    if (!auth)
      throw new StsError(
        400,
        "IncompleteSignature",
        `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${raw}`,
      );
    const user = users.get(auth.accessKeyId);
    const session = sessions.get(auth.accessKeyId);
    let secret: string;
    let who: { arn: string; userId: string };
    if (user && !user.disabled) {
      secret = user.secretAccessKey;
      who = { arn: user.arn, userId: `AIDA${createHash("sha256").update(user.arn).digest("hex").slice(0, 17).toUpperCase()}` };
    } else if (session && header(req.headers, "x-amz-security-token") === session.sessionToken) {
      if (session.expired()) throw deny.expired();
      secret = session.secretAccessKey;
      who = { arn: session.assumedRoleArn, userId: `${roles.get(session.roleArn)?.roleId}:${session.roleSessionName}` };
    } else {
      throw deny.invalidToken();
    }
    const ok = await sigV4Verifies({ method: req.method ?? "POST", url: req.url ?? "/", headers: req.headers, body }, auth, secret);
    if (!ok) throw deny.signature();
    return { ...who, accessKeyId: auth.accessKeyId };
  }

  function assumeRole(caller: { arn: string }, p: URLSearchParams, call: StsCall): string {
    const problems: string[] = [];
    const name = p.get("RoleSessionName");
    if (name === null) problems.push("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
    else if (name.length < 2)
      problems.push(`Value '${name}' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2`);
    else if (name.length > 64)
      problems.push(`Value '${name}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64`);
    else if (!SESSION_NAME_RE.test(name))
      problems.push(`Value '${name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    const d = call.durationSeconds;
    if (!Number.isInteger(d)) problems.push(`Value '${p.get("DurationSeconds")}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer`);
    else if (d < 900) problems.push(`Value '${d}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    else if (d > 43200) problems.push(`Value '${d}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`);
    if (problems.length > 0) throw deny.validation(problems);

    const roleArn = call.roleArn;
    const role = roles.get(roleArn);
    const trusted = role && (role.trustedUserArns.includes(caller.arn) || role.trustedUserArns.includes(roleOfAssumed(caller.arn) ?? ""));
    const policy = [...users.values()].find((u) => u.arn === caller.arn)?.assumableRoleArns;
    const permitted =
      policy === undefined ||
      policy.some((g) =>
        new RegExp(
          `^${g
            .split("*")
            .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
        ).test(roleArn),
      );
    if (!permitted || !role || !trusted || (role.externalId !== undefined && role.externalId !== call.externalId)) throw deny.accessDenied(caller.arn, roleArn);
    if (d > (role.maxSessionDurationSeconds ?? 3600)) {
      throw new StsError(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    }

    const issuedAt = Date.now();
    const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
    const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(roleArn)?.[1] ?? defaultAccount;
    const assumedRoleArn = `arn:aws:sts::${account}:assumed-role/${roleName}/${name}`;
    const lifetime = fake.credentialLifetimeSeconds ?? d;
    const mySeq = ++seq;
    const session: StsSession = {
      accessKeyId: `ASIA${upperAlnum(16)}`,
      secretAccessKey: randomBytes(30).toString("base64"), // 40 chars, like real secrets
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(480).toString("base64")}`,
      roleArn,
      roleSessionName: name!,
      assumedRoleArn,
      issuedAt,
      expiresAt: issuedAt + lifetime * 1000,
      expired: () => Date.now() >= session.expiresAt || mySeq <= (revokedBefore.get(roleArn) ?? 0),
    };
    sessions.set(session.accessKeyId, session);
    // STS reports whole seconds; round down so a client never believes in a longer life than the server grants.
    const expiration = new Date(Math.floor(session.expiresAt / 1000) * 1000).toISOString().replace(".000Z", "Z");
    return (
      `<AssumeRoleResult>` +
      `<AssumedRoleUser><AssumedRoleId>${role.roleId}:${xmlEscape(name!)}</AssumedRoleId><Arn>${xmlEscape(assumedRoleArn)}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${session.secretAccessKey}</SecretAccessKey>` +
      `<SessionToken>${session.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
      `</AssumeRoleResult>`
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const requestId = randomUUID();
    // The SDK POSTs a form body; STS also accepts the same parameters in the query string.
    const p = new URLSearchParams(new URL(req.url ?? "/", "http://placeholder").search);
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) p.set(k, v);
    const action = p.get("Action");
    const call: StsCall | undefined =
      action === "AssumeRole"
        ? {
            at: Date.now(),
            accessKeyId: parseSigV4Authorization(header(req.headers, "authorization"))?.accessKeyId ?? "",
            roleArn: p.get("RoleArn") ?? "",
            roleSessionName: p.get("RoleSessionName") ?? "",
            ...(p.has("ExternalId") ? { externalId: p.get("ExternalId")! } : {}),
            durationSeconds: p.has("DurationSeconds") ? Number(p.get("DurationSeconds")) : 3600,
            outcome: "ok",
          }
        : undefined;
    if (call) calls.push(call);
    if (fake.htmlAnswerStatus !== undefined) {
      if (call) call.outcome = `HTML ${fake.htmlAnswerStatus}`;
      const page = `<html><head><title>${fake.htmlAnswerStatus}</title></head><body><h1>Request refused</h1><p>by the corporate proxy</p></body></html>`;
      res.writeHead(fake.htmlAnswerStatus, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(page) });
      res.end(page);
      return;
    }
    try {
      const caller = await authenticate(req, body);
      let result: string;
      if (call) {
        result = assumeRole(caller, p, call);
      } else if (action === "GetCallerIdentity") {
        const account = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(caller.arn)?.[1] ?? defaultAccount;
        result = `<GetCallerIdentityResult><Arn>${xmlEscape(caller.arn)}</Arn><UserId>${xmlEscape(caller.userId)}</UserId><Account>${account}</Account></GetCallerIdentityResult>`;
      } else {
        throw new StsError(400, "InvalidAction", `Could not find operation ${action} for version ${p.get("Version") ?? "NO_VERSION_SPECIFIED"}`);
      }
      const root = `${action}Response`;
      send(res, 200, requestId, `<${root} xmlns="${NS}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${root}>`);
    } catch (err) {
      const e = err instanceof StsError ? err : new StsError(500, "InternalFailure", String(err));
      if (call) call.outcome = e.code;
      const type = e.status >= 500 ? "Receiver" : "Sender";
      send(
        res,
        e.status,
        requestId,
        `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const fake: StsFake = {
    endpoint: `http://127.0.0.1:${port}`,
    credentialLifetimeSeconds: undefined,
    htmlAnswerStatus: undefined,
    calls,
    addUser: (u) => void users.set(u.accessKeyId, { ...u }),
    addRole: (r) => void roles.set(r.arn, { ...r, roleId: `AROA${upperAlnum(17)}` }),
    sessionFor: (akid) => sessions.get(akid),
    expireSessionsOf: (roleArn) => void revokedBefore.set(roleArn, seq),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
  return fake;
}

/** arn:aws:sts::A:assumed-role/R/S → arn:aws:iam::A:role/R (what trust policies name for role chaining). */
function roleOfAssumed(arn: string): string | undefined {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

function send(res: ServerResponse, status: number, requestId: string, xml: string): void {
  res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId, "content-length": Buffer.byteLength(xml) });
  res.end(xml);
}
