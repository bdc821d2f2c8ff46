/**
 * The deployment examples (deploy/docker-compose, deploy/kubernetes) repeat facts that live elsewhere:
 * the image name and version (package.json), the monitoring port and probe paths (the Dockerfile and
 * src/http), the graceful-stop bound (shutdownGracePeriod + 5 s), the config path and the secrets'
 * variable names. This test parses every manifest and fails when one of them drifts from the others
 * or from the project, and loads both embedded s3beat.yml files through the daemon's own loader.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadConfigText } from "../../src/config/load.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const COMPOSE_DIR = "deploy/docker-compose";
const K8S_DIR = "deploy/kubernetes";

const ENV = { S3BEAT_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE12", S3BEAT_SECRET_ACCESS_KEY: "example-secret-example-secret" };
/** The monitoring port everything must agree on. */
const HTTP_PORT = 5066;
/** The daemon's graceful stop ends within shutdownGracePeriod + this many seconds. */
const STOP_SLACK_SECONDS = 5;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

const read = (rel: string) => readFileSync(posix.join(ROOT, rel), "utf8");

function filesUnder(rel: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(posix.join(ROOT, rel)).sort()) {
    const child = posix.join(rel, name);
    if (statSync(posix.join(ROOT, child)).isDirectory()) out.push(...filesUnder(child));
    else out.push(child);
  }
  return out;
}

const YAML_FILES = [...filesUnder(COMPOSE_DIR), ...filesUnder(K8S_DIR)].filter((f) => /\.ya?ml$/.test(f));

/** Every document of a YAML file as plain data; throws on any parse error or warning. */
function parseYaml(rel: string): unknown[] {
  const docs = parseAllDocuments(read(rel), { prettyErrors: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const problems = docs.flatMap((d) => [...d.errors, ...d.warnings].map((e) => `${rel}: ${e.message}`));
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return docs.map((d) => d.toJS() as unknown).filter((d) => d !== null);
}

function parseOne(rel: string): Rec {
  const docs = parseYaml(rel);
  expect(docs, `${rel}: exactly one YAML document`).toHaveLength(1);
  const doc = docs[0];
  if (!isRec(doc)) throw new Error(`${rel}: the document is not a mapping`);
  return doc;
}

function rec(v: unknown, what: string): Rec {
  if (!isRec(v)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * A Go / Compose / s3beat duration in seconds: a bare number is seconds; otherwise `h`, `m`, `s`, `ms`
 * components ("15s", "1m", "1m30s", "500ms", "1.5s").
 */
function durationSeconds(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v !== "string") throw new Error(`not a duration: ${JSON.stringify(v)}`);
  const s = v.trim();
  if (s === "") throw new Error("not a duration: empty");
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  let total = 0;
  let rest = s;
  while (rest !== "") {
    const m = /^(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/.exec(rest);
    if (m === null) throw new Error(`not a duration: ${JSON.stringify(v)}`);
    total += Number(m[1]) * unit[m[2] as string]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** A Kubernetes quantity of memory in bytes ("256Mi", "512M", "1Gi"). */
function memoryBytes(v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(String(v));
  if (m === null) throw new Error(`not a memory quantity: ${JSON.stringify(v)}`);
  const f: Record<string, number> = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * f[m[2] ?? ""]!;
}

/** `${NAME}` / `${NAME:default}` references of a config text (not `$${`, the escaped form). */
function envReferences(text: string): string[] {
  const names = [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}/g)].map((m) => m[1] as string);
  return [...new Set(names)].sort();
}

// ---- the Dockerfile, as text ----

const DOCKERFILE = read("Dockerfile");

/** The ENV variables of the runtime stage (`ENV A=1 \ B=2`). */
function dockerfileEnv(text: string): Map<string, string> {
  const joined = text.replace(/\\\r?\n/g, " ");
  const stages = joined.split(/^FROM\s/m);
  const runtime = stages[stages.length - 1] ?? "";
  const env = new Map<string, string>();
  for (const line of runtime.split("\n")) {
    const m = /^\s*ENV\s+(.*)$/.exec(line);
    if (!m) continue;
    for (const kv of (m[1] as string).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
      env.set(kv[1] as string, (kv[2] as string).replace(/^"|"$/g, ""));
    }
  }
  return env;
}

/** The exec-form command of the Dockerfile's HEALTHCHECK, as Compose writes it: ["CMD", ...argv]. */
function dockerfileHealthcheck(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  const m = /^\s*HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(joined);
  if (m === null) throw new Error("Dockerfile: no exec-form HEALTHCHECK ... CMD [...]");
  return ["CMD", ...(JSON.parse(m[1] as string) as string[])];
}

const IMAGE_ENV = dockerfileEnv(DOCKERFILE);
const VERSION = (JSON.parse(read("package.json")) as { version: string }).version;
const EXPECTED_IMAGE = `s3beat:${VERSION}`;

// ---- the manifests ----

const COMPOSE = parseOne(`${COMPOSE_DIR}/docker-compose.yml`);
const SERVICES = rec(COMPOSE.services, "compose services");
const S3BEAT_SERVICE = rec(SERVICES.s3beat, "compose services.s3beat");
const LOGSTASH_SERVICE = rec(SERVICES.logstash, "compose services.logstash");
const COMPOSE_CONFIG_TEXT = read(`${COMPOSE_DIR}/s3beat.yml`);

/** Kubernetes documents by `Kind/name`, from every file but the kustomization. */
const K8S_FILES = YAML_FILES.filter((f) => f.startsWith(`${K8S_DIR}/`));
const K8S = new Map<string, { file: string; doc: Rec }>();
for (const file of K8S_FILES) {
  if (posix.basename(file) === "kustomization.yaml") continue;
  for (const doc of parseYaml(file)) {
    const d = rec(doc, file);
    const name = rec(d.metadata, `${file} metadata`).name;
    K8S.set(`${String(d.kind)}/${String(name)}`, { file, doc: d });
  }
}
function k8s(kind: string, name: string): Rec {
  const found = K8S.get(`${kind}/${name}`);
  if (!found) throw new Error(`no ${kind} named ${name} in ${K8S_DIR} (have: ${[...K8S.keys()].join(", ")})`);
  return found.doc;
}

const DEPLOYMENT = k8s("Deployment", "s3beat");
const POD = rec(rec(rec(DEPLOYMENT.spec, "spec").template, "template").spec, "pod spec");
const CONTAINER = rec(
  list(POD.containers, "containers").find((c) => isRec(c) && c.name === "s3beat"),
  "container s3beat",
);
const CONFIG_VOLUME_MOUNT = rec(
  list(CONTAINER.volumeMounts, "volumeMounts").find((m) => isRec(m) && m.mountPath === "/etc/s3beat"),
  "volumeMount at /etc/s3beat",
);
const CONFIG_VOLUME = rec(
  list(POD.volumes, "volumes").find((v) => isRec(v) && v.name === CONFIG_VOLUME_MOUNT.name),
  `volume ${String(CONFIG_VOLUME_MOUNT.name)}`,
);
const CONFIGMAP_NAME = String(rec(CONFIG_VOLUME.configMap, "config volume configMap").name);
const CONFIGMAP = k8s("ConfigMap", CONFIGMAP_NAME);
const CONFIG_FILE_NAME = posix.basename(IMAGE_ENV.get("S3BEAT_CONFIG") ?? "");
const K8S_CONFIG_TEXT = String(rec(CONFIGMAP.data, "ConfigMap data")[CONFIG_FILE_NAME]);

/** A probe's port: a number, or the name of one of the container's ports. */
function probePort(probe: Rec): number {
  const port = rec(probe.httpGet, "probe httpGet").port;
  if (typeof port === "number") return port;
  const named = list(CONTAINER.ports, "container ports").find((p) => isRec(p) && p.name === port);
  if (!isRec(named)) throw new Error(`probe port ${JSON.stringify(port)} names no container port`);
  return Number(named.containerPort);
}

describe("deploy manifests", () => {
  it("every YAML file under deploy/docker-compose and deploy/kubernetes parses without errors", () => {
    expect(YAML_FILES).toEqual(
      expect.arrayContaining([
        `${COMPOSE_DIR}/docker-compose.yml`,
        `${COMPOSE_DIR}/s3beat.yml`,
        `${K8S_DIR}/configmap.yaml`,
        `${K8S_DIR}/deployment.yaml`,
        `${K8S_DIR}/kustomization.yaml`,
        `${K8S_DIR}/secret.yaml`,
        `${K8S_DIR}/serviceaccount.yaml`,
      ]),
    );
    for (const file of YAML_FILES) expect(() => parseYaml(file), file).not.toThrow();
    // The ConfigMap's embedded file, too: one document, no errors.
    const embedded = parseAllDocuments(K8S_CONFIG_TEXT);
    expect(Array.isArray(embedded) ? embedded.flatMap((d) => d.errors) : ["empty"]).toEqual([]);
  });

  it("the kustomization lists exactly the other Kubernetes manifests", () => {
    const kustomization = parseOne(`${K8S_DIR}/kustomization.yaml`);
    const resources = list(kustomization.resources, "kustomization resources").map(String).sort();
    const others = K8S_FILES.filter((f) => posix.basename(f) !== "kustomization.yaml")
      .map((f) => posix.relative(K8S_DIR, f))
      .sort();
    expect(resources).toEqual(others);
    for (const { doc, file } of K8S.values()) {
      expect(typeof doc.apiVersion, `${file} apiVersion`).toBe("string");
      expect(typeof doc.kind, `${file} kind`).toBe("string");
    }
  });

  it("compose and Kubernetes run the image s3beat:<package.json version>", () => {
    expect(S3BEAT_SERVICE.image).toBe(EXPECTED_IMAGE);
    expect(CONTAINER.image).toBe(EXPECTED_IMAGE);
    expect(S3BEAT_SERVICE.image).toBe(CONTAINER.image);
  });

  it("the Dockerfile's monitoring defaults are the ones the manifests rely on", () => {
    expect(IMAGE_ENV.get("S3BEAT_HTTP_PORT")).toBe(String(HTTP_PORT));
    expect(IMAGE_ENV.get("S3BEAT_CONFIG")).toBe("/etc/s3beat/s3beat.yml");
    expect(DOCKERFILE).toMatch(new RegExp(`^EXPOSE\\s+${HTTP_PORT}\\s*$`, "m"));
  });

  it("the compose healthcheck is the image's HEALTHCHECK command, on the port s3beat.yml listens on", () => {
    const hc = rec(S3BEAT_SERVICE.healthcheck, "compose s3beat healthcheck");
    expect(hc.test).toEqual(dockerfileHealthcheck(DOCKERFILE));
    for (const key of ["interval", "timeout", "start_period"]) expect(durationSeconds(hc[key]), key).toBeGreaterThan(0);
    expect(hc.retries).toBeGreaterThanOrEqual(1);
    expect(durationSeconds(hc.timeout)).toBeLessThan(durationSeconds(hc.interval));
    // bin/healthcheck.js asks 127.0.0.1:$S3BEAT_HTTP_PORT: the compose environment or the image's default.
    const environment = isRec(S3BEAT_SERVICE.environment) ? S3BEAT_SERVICE.environment : {};
    const checkedPort = Number(environment.S3BEAT_HTTP_PORT ?? IMAGE_ENV.get("S3BEAT_HTTP_PORT"));
    expect(checkedPort).toBe(HTTP_PORT);
    const { settings } = loadConfigText(COMPOSE_CONFIG_TEXT, "s3beat.yml", ENV);
    expect(settings.http.port).toBe(checkedPort);
    expect(["127.0.0.1", "0.0.0.0"]).toContain(settings.http.host);
  });

  it("the compose s3beat.yml loads cleanly through the daemon's loader", () => {
    const loaded = loadConfigText(COMPOSE_CONFIG_TEXT, "s3beat.yml", ENV);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.settings.http).toEqual({ enabled: true, host: "127.0.0.1", port: HTTP_PORT });
    expect(loaded.configVersion).toBe(1);
    expect(loaded.settings.s3beat.shutdownGracePeriodSeconds).toBe(10);
    expect(loaded.secrets).toEqual(expect.arrayContaining(Object.values(ENV)));
  });

  it("the ConfigMap's s3beat.yml loads cleanly and listens where the kubelet can probe it", () => {
    const loaded = loadConfigText(K8S_CONFIG_TEXT, "configmap.yaml#s3beat.yml", ENV);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.settings.http).toEqual({ enabled: true, host: "0.0.0.0", port: HTTP_PORT });
    expect(loaded.configVersion).toBe(1);
    expect(loaded.settings.s3beat.shutdownGracePeriodSeconds).toBe(20);
  });

  it("compose: the config mount, the secrets, the Logstash pipeline and the service wiring agree", () => {
    const volumes = list(S3BEAT_SERVICE.volumes, "compose s3beat volumes").map(String);
    expect(volumes).toContain(`./s3beat.yml:${IMAGE_ENV.get("S3BEAT_CONFIG")}:ro`);
    // Every ${VAR} in s3beat.yml has a line in .env.example, read through env_file.
    const envFile = [S3BEAT_SERVICE.env_file].flat().map((e) => (isRec(e) ? String(e.path) : String(e)));
    expect(envFile).toContain(".env");
    const example = read(`${COMPOSE_DIR}/.env.example`);
    const defined = [...example.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]).sort();
    expect(defined).toEqual(envReferences(COMPOSE_CONFIG_TEXT));
    expect(defined).toEqual(Object.keys(ENV).sort());
    // output.logstash points at the logstash service's beats input.
    const { settings } = loadConfigText(COMPOSE_CONFIG_TEXT, "s3beat.yml", ENV);
    expect(settings.output.kind).toBe("logstash");
    const hosts = settings.output.kind === "logstash" ? settings.output.hosts : [];
    const pipeline = read(`${COMPOSE_DIR}/logstash/pipeline/s3beat.conf`);
    const beatsPort = Number(/beats\s*\{[^}]*\bport\s*=>\s*(\d+)/.exec(pipeline)?.[1]);
    expect(beatsPort).toBe(5044);
    expect(hosts.map((h) => `${h.host}:${h.port}`)).toEqual([`logstash:${beatsPort}`]);
    expect(pipeline).toMatch(/stdout\s*\{[^}]*codec\s*=>\s*rubydebug/);
    expect(list(LOGSTASH_SERVICE.volumes, "logstash volumes").map(String)).toContain("./logstash/pipeline/:/usr/share/logstash/pipeline/:ro");
    expect(LOGSTASH_SERVICE.image).toMatch(/^docker\.elastic\.co\/logstash\/logstash:8\./);
    const dependsOn = S3BEAT_SERVICE.depends_on;
    expect(Array.isArray(dependsOn) ? dependsOn : Object.keys(rec(dependsOn, "depends_on"))).toContain("logstash");
    expect(S3BEAT_SERVICE.restart).toBe("unless-stopped");
    expect(S3BEAT_SERVICE.read_only).toBe(true);
    expect(String(S3BEAT_SERVICE.user).split(":")[0]).toBe("1000");
  });

  it("compose: stop_grace_period covers s3beat.yml's shutdownGracePeriod + 5 s", () => {
    const { settings } = loadConfigText(COMPOSE_CONFIG_TEXT, "s3beat.yml", ENV);
    expect(durationSeconds(S3BEAT_SERVICE.stop_grace_period)).toBeGreaterThanOrEqual(settings.s3beat.shutdownGracePeriodSeconds + STOP_SLACK_SECONDS);
  });

  it("kubernetes: terminationGracePeriodSeconds covers the ConfigMap's shutdownGracePeriod + 5 s", () => {
    const { settings } = loadConfigText(K8S_CONFIG_TEXT, "configmap.yaml#s3beat.yml", ENV);
    expect(POD.terminationGracePeriodSeconds).toBeTypeOf("number");
    expect(POD.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(settings.s3beat.shutdownGracePeriodSeconds + STOP_SLACK_SECONDS);
  });

  it("kubernetes: probes hit /healthz and /readyz on port 5066, the port s3beat listens on", () => {
    const liveness = rec(CONTAINER.livenessProbe, "livenessProbe");
    const readiness = rec(CONTAINER.readinessProbe, "readinessProbe");
    expect(rec(liveness.httpGet, "liveness httpGet").path).toBe("/healthz");
    expect(rec(readiness.httpGet, "readiness httpGet").path).toBe("/readyz");
    const { settings } = loadConfigText(K8S_CONFIG_TEXT, "configmap.yaml#s3beat.yml", ENV);
    for (const probe of [liveness, readiness]) {
      expect(probePort(probe)).toBe(HTTP_PORT);
      expect(probePort(probe)).toBe(settings.http.port);
      expect(probe.periodSeconds).toBeGreaterThan(0);
      expect(probe.failureThreshold).toBeGreaterThanOrEqual(1);
      expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds as number);
    }
    const http = rec(
      list(CONTAINER.ports, "container ports").find((p) => isRec(p) && p.name === "http"),
      "container port http",
    );
    expect(http.containerPort).toBe(HTTP_PORT);
    const annotations = rec(rec(rec(rec(DEPLOYMENT.spec, "spec").template, "template").metadata, "metadata").annotations ?? {}, "annotations");
    if (annotations["prometheus.io/port"] !== undefined) expect(annotations["prometheus.io/port"]).toBe(String(HTTP_PORT));
  });

  it("kubernetes: the pod's ConfigMap, Secret and ServiceAccount exist and fit the config", () => {
    expect(CONFIG_VOLUME_MOUNT.mountPath).toBe(posix.dirname(IMAGE_ENV.get("S3BEAT_CONFIG") ?? ""));
    expect(CONFIG_VOLUME_MOUNT.readOnly).toBe(true);
    expect(K8S_CONFIG_TEXT).not.toBe("undefined");
    k8s("ServiceAccount", String(POD.serviceAccountName));
    expect(POD.serviceAccountName).toBe("s3beat");
    // Every ${VAR} of the embedded s3beat.yml comes from the Secret through envFrom.
    const secretNames = list(CONTAINER.envFrom, "envFrom")
      .map((e) => rec(e, "envFrom item").secretRef)
      .filter(isRec)
      .map((r) => String(r.name));
    expect(secretNames).toHaveLength(1);
    const secret = k8s("Secret", secretNames[0] as string);
    expect(secret.type).toBe("Opaque");
    const keys = Object.keys(rec(secret.stringData, "Secret stringData")).sort();
    expect(keys).toEqual(envReferences(K8S_CONFIG_TEXT));
    expect(keys).toEqual(Object.keys(ENV).sort());
    const { settings } = loadConfigText(K8S_CONFIG_TEXT, "configmap.yaml#s3beat.yml", ENV);
    expect(settings.output.kind).toBe("logstash");
    if (settings.output.kind === "logstash") {
      expect(settings.output.hosts.map((h) => `${h.host}:${h.port}`)).toEqual(["logstash.logging.svc:5044"]);
    }
  });

  it("kubernetes: the container runs as the image's non-root user with a read-only root filesystem", () => {
    const sc = rec(CONTAINER.securityContext, "container securityContext");
    const podSc = rec(POD.securityContext ?? {}, "pod securityContext");
    expect(sc.runAsNonRoot ?? podSc.runAsNonRoot).toBe(true);
    expect(sc.runAsUser ?? podSc.runAsUser).toBe(1000);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(rec(sc.capabilities, "capabilities").drop).toEqual(["ALL"]);
    expect(rec(sc.seccompProfile ?? podSc.seccompProfile, "seccompProfile").type).toBe("RuntimeDefault");
    // The image's USER is that same non-root user.
    expect(DOCKERFILE).toMatch(/^USER\s+node\s*$/m);
  });

  it("kubernetes: resources leave room for the benchmark's 150–200 MB peak RSS", () => {
    const resources = rec(CONTAINER.resources, "resources");
    const requests = rec(resources.requests, "requests");
    const limits = rec(resources.limits, "limits");
    expect(memoryBytes(requests.memory)).toBeGreaterThanOrEqual(256 * 1024 ** 2);
    expect(memoryBytes(limits.memory)).toBeGreaterThanOrEqual(memoryBytes(requests.memory));
    expect(requests.cpu).toBeDefined();
  });

  it("the duration parser reads Compose durations", () => {
    expect(durationSeconds("15s")).toBe(15);
    expect(durationSeconds("1m")).toBe(60);
    expect(durationSeconds("1m30s")).toBe(90);
    expect(durationSeconds("1h")).toBe(3600);
    expect(durationSeconds("500ms")).toBe(0.5);
    expect(durationSeconds(30)).toBe(30);
    expect(() => durationSeconds("15 seconds")).toThrow();
  });
});
