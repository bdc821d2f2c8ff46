import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigText, type ConfigProblem } from "../../src/config/load.ts";
import { parseLogstashHost } from "../../src/config/checks.ts";

const HEAD = `s3beat:
  sqsQueues: ["q1:us-east-1"]
`;

const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadConfigText(HEAD + text, "s3beat.yml", env);

function problems(text: string): ConfigProblem[] {
  try {
    load(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError, but the config loaded");
}
const brief = (ps: readonly ConfigProblem[]) => ps.map((p) => `${p.line} ${p.path}: ${p.message}`);

describe("output.logstash", () => {
  it("fills libbeat's defaults", () => {
    const { settings, warnings } = load(`output.logstash:\n  hosts: ["opencollector:5044"]\n`);
    expect(warnings).toEqual([]);
    expect(settings.output).toEqual({
      kind: "logstash",
      hosts: [{ host: "opencollector", port: 5044 }],
      loadbalance: false,
      compressionLevel: 3,
      bulkMaxSize: 2048,
      pipelining: 2,
      timeoutSeconds: 30,
      backoffInitSeconds: 1,
      backoffMaxSeconds: 60,
      ttlSeconds: 0,
    });
  });

  it("reads every option, dotted or nested, with units and ${VAR}", () => {
    const { settings } = load(
      `output.logstash:
  hosts: ["a.example.com", "\${OC_HOST}:5045", "[fd00::1]:6000"]
  loadbalance: true
  compression_level: 0
  bulk_max_size: 512
  pipelining: 0
  timeout: 1m30s
  backoff.init: 2s
  backoff:
    max: 2m
  ttl: 5m
  ssl.certificate_authorities: /etc/s3beat/ca.pem
  ssl:
    certificate: /etc/s3beat/client.pem
    key: /etc/s3beat/client.key
    verification_mode: certificate
`,
      { OC_HOST: "10.0.0.7" },
    );
    expect(settings.output).toEqual({
      kind: "logstash",
      hosts: [
        { host: "a.example.com", port: 5044 },
        { host: "10.0.0.7", port: 5045 },
        { host: "fd00::1", port: 6000 },
      ],
      loadbalance: true,
      compressionLevel: 0,
      bulkMaxSize: 512,
      pipelining: 0,
      timeoutSeconds: 90,
      backoffInitSeconds: 2,
      backoffMaxSeconds: 120,
      ttlSeconds: 300,
      ssl: {
        certificateAuthorities: ["/etc/s3beat/ca.pem"],
        certificate: "/etc/s3beat/client.pem",
        key: "/etc/s3beat/client.key",
        verificationMode: "certificate",
      },
    });
  });

  it.each([
    {
      name: "an ssl section turns TLS on with full verification",
      ssl: "  ssl.certificate_authorities: [/ca.pem]\n",
      want: { certificateAuthorities: ["/ca.pem"], verificationMode: "full" },
    },
    { name: "ssl.enabled: true alone uses the system's CAs", ssl: "  ssl.enabled: true\n", want: { certificateAuthorities: [], verificationMode: "full" } },
    { name: "ssl.enabled: false turns it off", ssl: "  ssl: {enabled: false, certificate_authorities: [/ca.pem]}\n", want: undefined },
    { name: "no ssl section: plain TCP", ssl: "", want: undefined },
  ])("$name", ({ ssl, want }) => {
    const { settings } = load(`output.logstash:\n  hosts: [oc]\n${ssl}`);
    expect(settings.output.kind).toBe("logstash");
    if (want === undefined) expect(settings.output).not.toHaveProperty("ssl");
    else expect(settings.output).toHaveProperty("ssl", want);
  });

  it("a lone host string is a one-host list", () => {
    expect(load(`output.logstash.hosts: "oc:1234"\n`).settings.output).toMatchObject({ hosts: [{ host: "oc", port: 1234 }] });
  });

  it("verification_mode none loads with a warning", () => {
    const { settings, warnings } = load(`output.logstash:\n  hosts: [oc]\n  ssl.verification_mode: none\n`);
    expect(settings.output).toMatchObject({ ssl: { verificationMode: "none" } });
    expect(warnings.map((w) => [w.line, w.path])).toEqual([[5, "output.logstash.ssl.verification_mode"]]);
    expect(warnings[0]!.message).toMatch(/not checked/);
  });

  it.each([
    ["hosts: []", '4 output.logstash.hosts: list at least one host, e.g. hosts: ["opencollector:5044"]'],
    [
      'hosts: ["tcp://oc:5044"]',
      '4 output.logstash.hosts[0]: expected "host:port" without a scheme (the protocol is always Beats/lumberjack), got "tcp://oc:5044"',
    ],
    ['hosts: ["oc:0"]', '4 output.logstash.hosts[0]: port must be a number between 1 and 65535, got "0" in "oc:0"'],
    ['hosts: ["oc:http"]', '4 output.logstash.hosts[0]: port must be a number between 1 and 65535, got "http" in "oc:http"'],
    ['hosts: ["::1"]', '4 output.logstash.hosts[0]: write an IPv6 address in brackets, e.g. "[::1]:5044", got "::1"'],
    ['hosts: ["bad host"]', '4 output.logstash.hosts[0]: expected "host:port" (e.g. "opencollector:5044"; the port defaults to 5044), got "bad host"'],
    ['hosts: [a, "a:5044"]', "4 output.logstash.hosts[1]: listed twice"],
    ["hosts: {a: 1}", '4 output.logstash.hosts: expected a list of "host:port" (e.g. "opencollector:5044"; the port defaults to 5044)'],
    ["compression_level: 10", "4 output.logstash.compression_level: must be between 0 and 9"],
    ["bulk_max_size: 0", "4 output.logstash.bulk_max_size: must be between 1 and 65535"],
    ["bulk_max_size: 65536", "4 output.logstash.bulk_max_size: must be between 1 and 65535"],
    ["timeout: 0s", "4 output.logstash.timeout: must be between 1s and 1h, got 0s"],
    ["loadbalance: maybe", "4 output.logstash.loadbalance: expected true or false"],
    ["ttl: soon", '4 output.logstash.ttl: expected a duration like 30s, 5m, 1h30m or a number of seconds, got "soon"'],
    ["backoff: {init: 10s, max: 5s}", "4 output.logstash.backoff.max: must be at least backoff.init (10s), got 5s"],
    ["ssl.verification_mode: loose", "4 output.logstash.ssl.verification_mode: expected one of full, strict, certificate, none"],
    ["ssl.certificate: /c.pem", "4 output.logstash.ssl.certificate: is set but ssl.key is not: a client certificate needs both the certificate and its key"],
    ["ssl.key: /c.key", "4 output.logstash.ssl.key: is set but ssl.certificate is not: a client certificate needs both the certificate and its key"],
    ['ssl.certificate_authorities: [""]', "4 output.logstash.ssl.certificate_authorities[0]: must not be empty"],
  ])("%s", (line, want) => {
    const text = line.startsWith("hosts:") ? `output.logstash:\n  ${line}\n` : `output.logstash:\n  ${line}\n  hosts: [oc]\n`;
    expect(brief(problems(text))).toEqual([want]);
  });

  it("a client certificate with ssl disabled is not checked", () => {
    expect(load(`output.logstash:\n  hosts: [oc]\n  ssl: {enabled: false, certificate: /c.pem}\n`).settings.output).not.toHaveProperty("ssl");
  });

  it("libbeat options s3beat does not have are warnings, not errors", () => {
    const { settings, warnings } = load(`output.logstash:\n  hosts: [oc]\n  slow_start: true\n  worker: 1\n`);
    expect(settings.output.kind).toBe("logstash");
    expect(warnings.map((w) => w.path)).toEqual(["output.logstash.slow_start", "output.logstash.worker"]);
  });
});

describe("parseLogstashHost", () => {
  it.each([
    ["oc", { host: "oc", port: 5044 }],
    ["oc.internal:5045", { host: "oc.internal", port: 5045 }],
    [" 10.1.2.3:1 ", { host: "10.1.2.3", port: 1 }],
    ["[::1]", { host: "::1", port: 5044 }],
    ["[2001:db8::7]:65535", { host: "2001:db8::7", port: 65535 }],
    ["logstash_1:5044", { host: "logstash_1", port: 5044 }],
  ])("%s", (entry, want) => {
    expect(parseLogstashHost(entry)).toEqual(want);
  });

  it.each(["", ":5044", "oc:", "oc:65536", "a:b:c", "https://oc", "-oc", "[::1]x"])("refuses %j", (entry) => {
    expect(() => parseLogstashHost(entry)).toThrow();
  });
});
