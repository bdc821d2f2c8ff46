// Over 300 lines: one generator per workload, each small; kept together so the data sets can be compared.
/**
 * Deterministic (seeded) bench data, cached under bench/.cache so that reruns skip generation.
 * Object i of a data set is always the same bytes whatever the scale, so a smaller scale reuses
 * the first objects of a larger one. Bump GEN_VERSION when a generator changes.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGzip, gzipSync } from "node:zlib";

const GEN_VERSION = "v1";
export const CACHE_DIR = fileURLToPath(new URL(`./.cache/${GEN_VERSION}/`, import.meta.url));

/** One stored object: where its body is cached and what it decodes to. */
export interface ObjectSpec {
  key: string;
  /** Cached body (what is PUT in the emulator, gzip or not). */
  path: string;
  /** Stored (compressed) size. */
  size: number;
  /** Decompressed bytes. */
  decodedBytes: number;
  /** Events the object yields (lines, or Records entries). */
  events: number;
}

export interface DataSet {
  name: string;
  objects: ObjectSpec[];
  size: number;
  decodedBytes: number;
  events: number;
}

// ---- seeded randomness ------------------------------------------------------------------------

/** mulberry32: small, fast, good enough for log-like data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

class Gen {
  readonly r: () => number;
  constructor(seed: string) {
    this.r = rng(fnv1a(seed));
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  /** 2·n hex digits. */
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += HEX2[this.int(256)];
    return s;
  }
  upper(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += B32[this.int(32)];
    return s;
  }
  uuid(): string {
    const h = this.hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[this.int(4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

const T0 = Date.UTC(2026, 8, 21, 0, 0, 0);

// ---- A and C: access-log lines of ~111 bytes ----------------------------------------------------

const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const PATHS = ["/v1/orders", "/v1/items", "/v2/users", "/static/app.js", "/healthz", "/v1/cart"];
const STATUS = [200, 200, 200, 200, 201, 204, 301, 304, 400, 404, 500];
const AGENTS = ["ua=curl/8.5.0", "ua=Go-http/1.1", "ua=aws-sdk-js/3", "ua=Mozilla/5.0"];

class AccessLog {
  private readonly g: Gen;
  private t: number;
  private second = -1;
  private prefix = "";
  constructor(g: Gen, start: number) {
    this.g = g;
    this.t = start;
  }
  /** toISOString, formatting the date only once per second. */
  private iso(t: number): string {
    const s = Math.floor(t / 1000);
    if (s !== this.second) {
      this.second = s;
      this.prefix = new Date(s * 1000).toISOString().slice(0, 20);
    }
    return `${this.prefix}${String(t % 1000).padStart(3, "0")}Z`;
  }
  line(): string {
    const g = this.g;
    this.t += g.int(40);
    return (
      `${this.iso(this.t)} 10.${g.int(256)}.${g.int(256)}.${g.int(256)} ${g.pick(METHODS)} ${g.pick(PATHS)}/${g.int(1e6)} ` +
      `${g.pick(STATUS)} ${g.int(99_999)} ${g.int(2000)}ms req=${g.hex(8)} ${g.pick(AGENTS)}`
    );
  }
}

/** A: 31,000 lines (~3.4 MB, ~1 MB gzip). */
function genA(i: number): { body: Buffer; decodedBytes: number; events: number } {
  const log = new AccessLog(new Gen(`A:${i}`), T0 + i * 3_600_000);
  const lines: string[] = [];
  for (let n = 0; n < 31_000; n++) lines.push(log.line());
  const raw = Buffer.from(lines.join("\n") + "\n");
  return { body: gzipSync(raw, { level: 6 }), decodedBytes: raw.length, events: lines.length };
}

/** C: plain text, as many whole lines as fit in 2 KiB. */
function genC(i: number): { body: Buffer; decodedBytes: number; events: number } {
  const log = new AccessLog(new Gen(`C:${i}`), T0 + i * 60_000);
  let text = "";
  let events = 0;
  for (;;) {
    const l = log.line() + "\n";
    if (text.length + l.length > 2048) break;
    text += l;
    events++;
  }
  const raw = Buffer.from(text);
  return { body: raw, decodedBytes: raw.length, events };
}

// ---- B: CloudTrail files of 100 records of ~1.5 KB -----------------------------------------------

const CT_EVENTS: Array<[string, string, boolean]> = [
  ["ec2.amazonaws.com", "DescribeInstances", true],
  ["s3.amazonaws.com", "GetObject", true],
  ["s3.amazonaws.com", "PutObject", false],
  ["iam.amazonaws.com", "ListRoles", true],
  ["sts.amazonaws.com", "AssumeRole", false],
  ["kms.amazonaws.com", "Decrypt", true],
  ["lambda.amazonaws.com", "Invoke", false],
  ["dynamodb.amazonaws.com", "DescribeTable", true],
];
const CT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
const CT_ROLES = ["s3beat-reader", "ci-deployer", "AWSServiceRoleForECS", "data-pipeline", "admin-breakglass"];
const CT_AGENTS = [
  "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.171.0",
  "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.9",
  "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 lang/python#3.12.4",
  "console.amazonaws.com",
];
const noMillis = (t: number) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");

function cloudTrailRecord(g: Gen, t: number): Record<string, unknown> {
  const [source, name, readOnly] = g.pick(CT_EVENTS);
  const acct = String(100_000_000_000 + g.int(9e11));
  const role = g.pick(CT_ROLES);
  const region = g.pick(CT_REGIONS);
  const session = `i-${g.hex(8)}${g.int(10)}`;
  const bucket = `logs-${acct}-${region}`;
  return {
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      principalId: `AROA${g.upper(17)}:${session}`,
      arn: `arn:aws:sts::${acct}:assumed-role/${role}/${session}`,
      accountId: acct,
      accessKeyId: `ASIA${g.upper(16)}`,
      sessionContext: {
        sessionIssuer: { type: "Role", principalId: `AROA${g.upper(17)}`, arn: `arn:aws:iam::${acct}:role/${role}`, accountId: acct, userName: role },
        attributes: { creationDate: noMillis(t - g.int(3_600_000)), mfaAuthenticated: "false" },
      },
    },
    eventTime: noMillis(t),
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: `${g.int(223) + 1}.${g.int(256)}.${g.int(256)}.${g.int(256)}`,
    userAgent: g.pick(CT_AGENTS),
    requestParameters: { bucketName: bucket, key: `AWSLogs/${acct}/app/${new Date(t).toISOString().slice(0, 10).replaceAll("-", "/")}/${g.hex(6)}.json.gz` },
    responseElements: null,
    additionalEventData: {
      SignatureVersion: "SigV4",
      CipherSuite: "TLS_AES_128_GCM_SHA256",
      bytesTransferredIn: g.int(100_000),
      AuthenticationMethod: "AuthHeader",
      bytesTransferredOut: g.int(100_000),
    },
    requestID: g.upper(16),
    eventID: g.uuid(),
    readOnly,
    resources: [{ type: "AWS::S3::Object", ARN: `arn:aws:s3:::${bucket}/AWSLogs/${acct}/${g.hex(6)}` }],
    eventType: "AwsApiCall",
    managementEvent: false,
    recipientAccountId: acct,
    eventCategory: "Data",
    tlsDetails: { tlsVersion: "TLSv1.3", cipherSuite: "TLS_AES_128_GCM_SHA256" },
  };
}

/** B: one CloudTrail log file, {"Records":[…100 records…]}, gzip. */
function genB(i: number): { body: Buffer; decodedBytes: number; events: number } {
  const g = new Gen(`B:${i}`);
  let t = T0 + i * 300_000;
  const records: Array<Record<string, unknown>> = [];
  for (let n = 0; n < 100; n++) {
    t += g.int(3000);
    records.push(cloudTrailRecord(g, t));
  }
  const raw = Buffer.from(JSON.stringify({ Records: records }));
  return { body: gzipSync(raw, { level: 6 }), decodedBytes: raw.length, events: records.length };
}

// ---- E: one big NDJSON object ---------------------------------------------------------------------

const LEVELS = ["info", "info", "info", "warn", "error"];

async function genE(path: string, targetBytes: number): Promise<{ decodedBytes: number; events: number }> {
  const g = new Gen(`E:${targetBytes}`);
  const gzip = createGzip({ level: 6, chunkSize: 256 * 1024 });
  const out = createWriteStream(path);
  gzip.pipe(out);
  const closed = new Promise<void>((resolve, reject) => {
    out.on("close", resolve);
    out.on("error", reject);
    gzip.on("error", reject);
  });
  let bytes = 0;
  let events = 0;
  let t = T0;
  while (bytes < targetBytes) {
    let chunk = "";
    for (let k = 0; k < 2000 && bytes + chunk.length < targetBytes; k++, events++) {
      t += g.int(20);
      chunk +=
        JSON.stringify({
          "@ts": new Date(t).toISOString(),
          level: g.pick(LEVELS),
          service: `svc-${g.int(17)}`,
          requestId: g.hex(8),
          msg: `request ${events} served in ${g.int(997)}ms for user-${g.int(5003)}`,
          path: `/api/v1/items/${g.int(100_000)}`,
        }) + "\n";
    }
    bytes += chunk.length; // ASCII only
    if (!gzip.write(chunk)) await new Promise((r) => gzip.once("drain", r));
  }
  gzip.end();
  await closed;
  return { decodedBytes: bytes, events };
}

// ---- cache ----------------------------------------------------------------------------------------

type Meta = Omit<ObjectSpec, "key" | "path">;

function readJson<T>(path: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return fallback;
  }
}

function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const KEYS = {
  A: (i: number) => `logs/app/2026/09/21/web-${String(i).padStart(5, "0")}.log.gz`,
  B: (i: number) =>
    `AWSLogs/123456789012/CloudTrail/us-east-1/2026/09/21/123456789012_CloudTrail_us-east-1_20260921T${String(i).padStart(5, "0")}Z_${(fnv1a(`B${i}`) % 1e8).toString(36)}.json.gz`,
  C: (i: number) => `logs/plain/2026/09/21/host-${String(i).padStart(5, "0")}.log`,
};
const GENERATORS = { A: genA, B: genB, C: genC };

/** The first `count` objects of data set A, B or C, generating (and caching) the missing ones. */
export function objectSet(name: "A" | "B" | "C", count: number, progress: (msg: string) => void): DataSet {
  const dir = join(CACHE_DIR, name);
  mkdirSync(dir, { recursive: true });
  const manifestPath = join(dir, "manifest.json");
  const manifest = readJson<Record<string, Meta>>(manifestPath, {});
  const ext = name === "C" ? "log" : "gz";
  let made = 0;
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${i}.${ext}`);
    if (manifest[i] && existsSync(path)) continue;
    const o = GENERATORS[name](i);
    writeAtomic(path, o.body);
    manifest[i] = { size: o.body.length, decodedBytes: o.decodedBytes, events: o.events };
    made++;
    if (made % 50 === 0) {
      writeAtomic(manifestPath, JSON.stringify(manifest));
      progress(`  generating ${name}: ${i + 1}/${count} objects`);
    }
  }
  if (made > 0) {
    writeAtomic(manifestPath, JSON.stringify(manifest));
    progress(`  generated ${made} objects of ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s (cached in ${dir})`);
  }
  const objects = Array.from({ length: count }, (_, i) => ({ key: KEYS[name](i), path: join(dir, `${i}.${ext}`), ...manifest[i]! }));
  return summarize(name, objects);
}

/** Data set E: one NDJSON object of about `targetBytes` decoded bytes, gzip. */
export async function bigObject(targetBytes: number, progress: (msg: string) => void): Promise<DataSet> {
  const dir = join(CACHE_DIR, "E");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${targetBytes}.ndjson.gz`);
  const metaPath = join(dir, `${targetBytes}.json`);
  let meta = readJson<Meta | undefined>(metaPath, undefined);
  if (!meta || !existsSync(path)) {
    progress(`  generating E: ${(targetBytes / 2 ** 20).toFixed(0)} MiB of NDJSON (gzip, once; cached in ${dir})…`);
    const started = Date.now();
    const tmp = `${path}.tmp-${process.pid}`;
    const r = await genE(tmp, targetBytes);
    renameSync(tmp, path);
    meta = { size: statSync(path).size, ...r };
    writeAtomic(metaPath, JSON.stringify(meta));
    progress(`  generated E in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return summarize("E", [{ key: "logs/big/2026/09/21/events.ndjson.gz", path, ...meta }]);
}

function summarize(name: string, objects: ObjectSpec[]): DataSet {
  const sum = (f: (o: ObjectSpec) => number) => objects.reduce((a, o) => a + f(o), 0);
  return { name, objects, size: sum((o) => o.size), decodedBytes: sum((o) => o.decodedBytes), events: sum((o) => o.events) };
}
