/**
 * The outputs the setup offers. Each entry carries its choice label, its follow-up questions and the
 * YAML section it writes, so adding one (output.logstash with a host:port list, once it exists) means
 * adding its answer fields to OutputAnswers and one entry to OUTPUTS — nothing else changes.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_LOGSTASH_PORT, parseLogstashHost } from "../config/checks.ts";
import { option, yamlComment, yamlDefault } from "../config/options.ts";
import { VERIFICATION_MODES, type Answers, type OutputKind, type VerificationMode } from "./answers.ts";
import { parseYesNo, type Choice, type Condition, type QuestionSpec } from "./spec.ts";
import { commented, quote } from "./yamlText.ts";

/** The answer to the CA question that means "no CA file: trust the system's CAs". */
export const SYSTEM_CAS = "system";

interface OutputEntry {
  /** The choice as the terminal shows it. */
  label: string;
  /** Follow-up questions (without `when`): the flow asks them only when this output is chosen. */
  questions: readonly QuestionSpec[];
  /** The `output.*` section, one line per key. */
  render: (a: Answers) => string[];
}

function checkHosts(text: string): string[] {
  const entries = text
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) throw new Error("enter at least one collector as host:port, e.g. opencollector:5044");
  return entries.map((e) => {
    const h = parseLogstashHost(e);
    return h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
  });
}

function checkDirectory(text: string): string {
  const path = text.trim();
  if (path === "") throw new Error("enter the directory to write the event files to");
  if (/[\u0000-\u001f]/.test(path)) throw new Error("must not contain control characters");
  let isFile = false;
  try {
    isFile = !statSync(path).isDirectory();
  } catch {
    // Missing is fine: the file output creates the directory.
  }
  if (isFile) throw new Error(`${path} exists and is not a directory`);
  return path;
}

// A CA bundle is a few hundred KiB at most; anything larger is not one.
const MAX_CA_FILE_BYTES = 4 * 1024 * 1024;
const CERT_BLOCK_RE = /-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/g;

/**
 * The CA file answer → its absolute path (`~/` expanded), or `""` for "system". It must exist, be
 * readable, hold PEM certificates that parse (node:crypto X509Certificate), at least one of them a
 * CA or self-signed (the collector's own certificate signed by a CA is a common mistake), and not all
 * of them expired.
 */
function checkCaFile(text: string): string {
  const typed = text.trim();
  if (typed === "") throw new Error(`enter the path of the CA certificate file (PEM), or ${SYSTEM_CAS} to trust the system's CAs`);
  if (typed.toLowerCase() === SYSTEM_CAS) return "";
  if (/[\u0000-\u001f]/.test(typed)) throw new Error("must not contain control characters");
  const path = resolve(typed === "~" || typed.startsWith("~/") ? join(homedir(), typed.slice(1)) : typed);
  let pem: string;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error(`${path} is a directory: give the CA certificate file inside it`);
    if (st.size > MAX_CA_FILE_BYTES) throw new Error(`${path} is ${st.size} bytes, too large for a CA certificate file`);
    pem = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new Error(`${path}: no such file`);
    if (code === "EACCES") throw new Error(`${path}: permission denied (s3beat must be able to read it)`);
    throw e;
  }
  const blocks = pem.match(CERT_BLOCK_RE) ?? [];
  if (blocks.length === 0) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new Error(`${path} holds a private key, not a certificate: give the CA's certificate`);
    if (/-----BEGIN [A-Z0-9 ]+-----/.test(pem)) throw new Error(`${path} holds no certificate (no -----BEGIN CERTIFICATE----- block)`);
    throw new Error(
      `${path} is not a PEM certificate (no -----BEGIN CERTIFICATE----- line; convert a DER file with: openssl x509 -inform der -in FILE -out FILE.pem)`,
    );
  }
  const certs = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (e) {
      throw new Error(`${path}: certificate ${i + 1} of ${blocks.length} does not parse (${(e as Error).message})`);
    }
  });
  if (!certs.some((c) => c.ca || c.issuer === c.subject)) {
    const c = certs[0]!;
    throw new Error(
      `${path} is the certificate of ${oneLine(c.subject)}, issued by ${oneLine(c.issuer)}, not a CA: give the certificate of the CA that issued it`,
    );
  }
  const now = Date.now();
  if (certs.every((c) => new Date(c.validTo).getTime() < now)) throw new Error(`${path}: the certificate expired on ${certs[0]!.validTo}`);
  return path;
}

/** X509Certificate's multi-line distinguished name, as `CN=a, O=b`. */
const oneLine = (dn: string) =>
  dn
    .split("\n")
    .filter((l) => l !== "")
    .join(", ");

function parseVerificationMode(text: string): VerificationMode {
  const t = text.trim().toLowerCase();
  if ((VERIFICATION_MODES as readonly string[]).includes(t)) return t as VerificationMode;
  throw new Error(`expected one of ${VERIFICATION_MODES.join(", ")}`);
}

/** The `ssl` lines of output.logstash. */
function sslLines(a: Answers): string[] {
  if (!a.sslEnabled) return ['  #ssl.certificate_authorities: ["/etc/s3beat/collector-ca.pem"]   # when the collector uses TLS'];
  return [
    "  ssl:",
    commented("    enabled: true", "TLS to the collectors"),
    a.sslCa === ""
      ? commented('    #certificate_authorities: ["/etc/s3beat/collector-ca.pem"]', "absent: the system's CAs check the collector's certificate")
      : commented(`    certificate_authorities: [${quote(a.sslCa)}]`, "PEM file of the CA that issued the collector's certificate"),
    a.sslVerificationMode === "full"
      ? commented("    #verification_mode: full", "full (default): chain and host name; certificate: chain only; none: no checks")
      : commented(`    verification_mode: ${a.sslVerificationMode}`, VERIFICATION_COMMENTS[a.sslVerificationMode]),
  ];
}

const VERIFICATION_COMMENTS: Record<VerificationMode, string> = {
  full: "the chain and the host name",
  certificate: "the chain only: any host name is accepted",
  strict: "like full, and the certificate must have a subjectAltName",
  none: "no checks at all: for tests only",
};

/** `  key: <default>  # <comment>` of `output.<section>.<key>`, both from the schema. */
function byDefault(section: OutputKind, key: string): string {
  const o = option(`output.${section}.${key}`);
  return commented(`  ${key}: ${yamlDefault(o)}`, yamlComment(o));
}

/** A condition on an answer asked only for the Logstash output (it gets `output=logstash` in front). */
const WITH_TLS = { key: "sslEnabled", is: true } as const;

const OUTPUTS_TABLE = {
  console: {
    label: "console (JSON lines on stdout)",
    questions: [],
    render: () => ["output.console:", commented("  enabled: true", "exactly one output is enabled"), byDefault("console", "pretty")],
  },
  file: {
    label: "file (JSON lines in rotated files)",
    questions: [
      {
        key: "outputPath",
        kind: "input",
        message: "Directory for the output files (created if missing):",
        parse: checkDirectory,
      },
    ],
    render: (a) => [
      "output.file:",
      commented("  enabled: true", "exactly one output is enabled"),
      commented(`  path: ${quote(a.outputPath)}`, yamlComment(option("output.file.path"))),
      ...["filename", "rotate_every_kb", "number_of_files", "permissions"].map((key) => byDefault("file", key)),
    ],
  },
  logstash: {
    label: "logstash (Beats protocol to Logstash or the LogRhythm Open Collector)",
    questions: [
      {
        key: "outputHosts",
        kind: "input",
        message: `Collector host(s), comma-separated host:port (port ${DEFAULT_LOGSTASH_PORT} when omitted):`,
        parse: checkHosts,
      },
      {
        key: "sslEnabled",
        kind: "confirm",
        message: "Connect to the collector with TLS?",
        default: "false",
        parse: parseYesNo,
      },
      {
        key: "sslCa",
        kind: "input",
        message: `CA certificate file (PEM) that issued the collector's certificate (${SYSTEM_CAS}: the system's CAs):`,
        when: WITH_TLS,
        parse: checkCaFile,
      },
      {
        key: "sslVerificationMode",
        kind: "select",
        message: "Check of the collector's certificate:",
        choices: [
          { value: "full", name: "full: the chain and the host name" },
          { value: "certificate", name: "certificate: the chain only (the host name may differ, e.g. an IP address)" },
          { value: "strict", name: "strict: like full, and the certificate must have a subjectAltName" },
          { value: "none", name: "none: no checks (tests only)" },
        ],
        default: yamlDefault(option("output.logstash.ssl.verification_mode")),
        when: WITH_TLS,
        parse: parseVerificationMode,
      },
    ],
    render: (a) => [
      "output.logstash:",
      commented("  enabled: true", "exactly one output is enabled"),
      commented(`  hosts: [${a.outputHosts.map((h) => quote(h)).join(", ")}]`, "the collectors' Beats inputs"),
      ...["loadbalance", "compression_level", "timeout"].map((key) => byDefault("logstash", key)),
      ...sslLines(a),
    ],
  },
} satisfies Record<OutputKind, OutputEntry>;

/** The output kinds the setup can write. */

/** Output kind → its label, follow-up questions and renderer. */
export const OUTPUTS: Readonly<Record<OutputKind, OutputEntry>> = OUTPUTS_TABLE;

/** The choices of the output question, in the order shown. */
export const OUTPUT_CHOICES: readonly Choice[] = Object.entries(OUTPUTS).map(([value, o]) => ({ value, name: o.label }));

/** Every output's follow-up questions, in table order, each conditioned on its output being chosen. */
export const OUTPUT_QUESTIONS: readonly QuestionSpec[] = Object.entries(OUTPUTS).flatMap(([kind, o]) =>
  o.questions.map((q: QuestionSpec) => ({ ...q, when: underOutput(q.when, { key: "output", is: kind }) })),
);

/** `when` with `outer` required first (at the end of its `and` chain). */
function underOutput(when: Condition | undefined, outer: Condition): Condition {
  return when === undefined ? outer : { ...when, and: underOutput(when.and, outer) };
}

/** Text → output kind, or an Error listing the kinds. */
export function parseOutputKind(text: string): OutputKind {
  const t = text.trim().toLowerCase();
  if (Object.hasOwn(OUTPUTS, t)) return t as OutputKind;
  throw new Error(`expected one of ${Object.keys(OUTPUTS).join(", ")}`);
}
