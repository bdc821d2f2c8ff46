/**
 * TLS for the lumberjack output: reads the PEM files named by `output.logstash.ssl.*` once, maps
 * libbeat's verification modes onto node:tls options, and turns handshake failures into messages
 * that name the setting to fix.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls";
import type { LogstashTlsSettings } from "../../config/settings.ts";
import { definedOnly } from "../../util/optional.ts";

/** The TLS material of `output.logstash.ssl`, loaded. */
export interface TlsMaterial {
  /** PEM text of the trusted CAs; undefined: the system's roots. */
  ca?: string[];
  cert?: string;
  key?: string;
  verificationMode: LogstashTlsSettings["verificationMode"];
}

const PEM_RE = /-----BEGIN [A-Z0-9 ]+-----/;

/** A file's PEM text; an entry that already is PEM text (e.g. from `${CA_PEM}`) is used as is. */
function readPem(entry: string, setting: string): string {
  if (PEM_RE.test(entry)) return entry;
  let text: string;
  try {
    text = readFileSync(entry, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new Error(`output.logstash.ssl.${setting}: cannot read ${entry}: ${why}`, { cause: err });
  }
  if (!PEM_RE.test(text)) throw new Error(`output.logstash.ssl.${setting}: ${entry} is not a PEM file (no -----BEGIN ...----- line)`);
  return text;
}

/** Reads the files named by the settings. Throws an Error naming the setting and the file. */
export function loadTlsMaterial(settings: LogstashTlsSettings): TlsMaterial {
  const material: TlsMaterial = { verificationMode: settings.verificationMode };
  if (settings.certificateAuthorities.length > 0) {
    material.ca = settings.certificateAuthorities.map((f) => readPem(f, "certificate_authorities"));
  }
  if (settings.certificate !== undefined) material.cert = readPem(settings.certificate, "certificate");
  if (settings.key !== undefined) material.key = readPem(settings.key, "key");
  return material;
}

/** Chain check without host check (`certificate`): the host name is not compared. */
const anyHost = (): undefined => undefined;

/** `strict`: like `full`, but a certificate without subjectAltName is refused (no CN fallback). */
function strictIdentity(host: string, cert: PeerCertificate): Error | undefined {
  if (!cert.subjectaltname) return new Error("the certificate has no subjectAltName (required by verification_mode: strict)");
  return checkServerIdentity(host, cert);
}

/** node:tls options for connecting to `host`. */
export function tlsConnectOptions(material: TlsMaterial, host: string): ConnectionOptions {
  const options: ConnectionOptions = {
    // SNI takes a DNS name only; for an IP address the certificate is checked against its IP SANs.
    ...definedOnly({ servername: isIP(host) === 0 ? host : undefined }),
    rejectUnauthorized: material.verificationMode !== "none",
  };
  if (material.ca) options.ca = material.ca;
  if (material.cert !== undefined) options.cert = material.cert;
  if (material.key !== undefined) options.key = material.key;
  if (material.verificationMode === "certificate") options.checkServerIdentity = anyHost;
  if (material.verificationMode === "strict") options.checkServerIdentity = strictIdentity;
  return options;
}

const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/** What to check for a handshake failure, by the error's code or text. */
function tlsHint(err: NodeJS.ErrnoException): string {
  const code = err.code ?? "";
  const text = err.message;
  if (UNTRUSTED.has(code)) return "check output.logstash.ssl.certificate_authorities (or verification_mode)";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || /subjectAltName/.test(text)) {
    return "the certificate was not issued for this host name: use that name in output.logstash.hosts, or set output.logstash.ssl.verification_mode: certificate";
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return "the collector's certificate is expired or not yet valid (check both clocks)";
  if (/certificate required|alert number 116|handshake failure|bad certificate/i.test(text)) {
    return "the collector may demand a client certificate: check output.logstash.ssl.certificate and ssl.key";
  }
  if (/wrong version number|packet length too long|ECONNRESET|socket disconnected/i.test(`${code} ${text}`)) {
    return "is TLS enabled on the collector's Beats input? (otherwise set output.logstash.ssl.enabled: false)";
  }
  return "check output.logstash.ssl.*";
}

/** OpenSSL's short reason ("tlsv13 alert certificate required") rather than its whole error line. */
function reasonOf(err: Error): string {
  const reason = (err as { reason?: unknown }).reason;
  const text = typeof reason === "string" && reason !== "" ? reason : err.message;
  // Node appends advice about its own --use-system-ca flag; s3beat's answer is the setting in the hint.
  return text.replace(/; if the root CA is installed locally.*$/s, "").trim();
}

/** An error raised by the TLS layer (OpenSSL) rather than by TCP. */
export function isTlsError(err: Error): boolean {
  const e = err as NodeJS.ErrnoException & { library?: string };
  return (e.code ?? "").startsWith("ERR_SSL_") || e.library === "SSL routines";
}

/** `TLS handshake with HOST:PORT failed: <cause> — <what to check>`. */
export function tlsHandshakeError(address: string, err: Error): Error {
  return new Error(`TLS handshake with ${address} failed: ${reasonOf(err)} — ${tlsHint(err as NodeJS.ErrnoException)}`, { cause: err });
}

/**
 * A TLS failure after the handshake: with TLS 1.3 the collector checks the client certificate only
 * then, so a missing or refused client certificate shows up here.
 */
export function tlsSessionError(err: Error): Error {
  return new Error(`TLS error: ${reasonOf(err)} — ${tlsHint(err as NodeJS.ErrnoException)}`, { cause: err });
}
