import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Throwaway PEM material for TLS tests. Nothing here is secret: it lives for one test process. */
export interface TestCerts {
  /** The test CA certificate: what a client trusts to accept `serverCert`. */
  ca: string;
  /** Server certificate for 127.0.0.1 and localhost (subjectAltName), signed by `ca`. */
  serverCert: string;
  serverKey: string;
  /** Client certificate signed by `ca` (extendedKeyUsage clientAuth), for mutual-TLS tests. */
  clientCert: string;
  clientKey: string;
  /** An unrelated CA: a client trusting only this must fail the handshake with the server. */
  otherCa: string;
  /** The temporary directory holding the files (removed when the process exits). */
  dir: string;
}

let cached: TestCerts | undefined;

/**
 * Makes (once per process, then cached) a CA, a server and a client certificate signed by it, and a
 * second unrelated CA, with the `openssl` command line. Throws if `openssl` is missing.
 */
export function getTestCerts(): TestCerts {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), "s3beat-tls-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });

  // Our own config, so that the result does not depend on the system openssl.cnf defaults.
  writeFileSync(
    file("openssl.cnf"),
    [
      "[req]",
      "distinguished_name = dn",
      "prompt = no",
      "[dn]",
      "CN = placeholder",
      "[ca]",
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
      "subjectKeyIdentifier = hash",
      "[server]",
      "basicConstraints = CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = serverAuth",
      "subjectAltName = IP:127.0.0.1, DNS:localhost",
      "authorityKeyIdentifier = keyid",
      "[client]",
      "basicConstraints = CA:FALSE",
      "keyUsage = critical, digitalSignature, keyEncipherment",
      "extendedKeyUsage = clientAuth",
      "authorityKeyIdentifier = keyid",
      "",
    ].join("\n"),
  );

  const makeCa = (name: string, cn: string) =>
    openssl(
      "req",
      "-x509",
      "-new",
      "-nodes",
      "-newkey",
      "rsa:2048",
      "-days",
      "2",
      "-config",
      "openssl.cnf",
      "-extensions",
      "ca",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
    );
  const makeLeaf = (name: string, cn: string, serial: string) => {
    openssl("req", "-new", "-nodes", "-newkey", "rsa:2048", "-config", "openssl.cnf", "-subj", `/CN=${cn}`, "-keyout", `${name}.key`, "-out", `${name}.csr`);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-set_serial",
      serial,
      "-days",
      "2",
      "-extfile",
      "openssl.cnf",
      "-extensions",
      name,
      "-out",
      `${name}.pem`,
    );
  };

  makeCa("ca", "s3beat test CA");
  makeCa("otherca", "unrelated test CA");
  makeLeaf("server", "127.0.0.1", "1001");
  makeLeaf("client", "s3beat test client", "1002");

  const read = (name: string) => readFileSync(file(name), "utf8");
  cached = {
    ca: read("ca.pem"),
    serverCert: read("server.pem"),
    serverKey: read("server.key"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
    otherCa: read("otherca.pem"),
    dir,
  };
  return cached;
}
