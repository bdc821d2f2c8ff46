import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, formatProblem, loadConfigFile, loadConfigText } from "../../src/config/load.ts";
import type { ConfigProblem, LoadedConfig } from "../../src/config/load.ts";

const EXAMPLE = fileURLToPath(new URL("../../config/s3beat.example.yml", import.meta.url));
const SRC = "s3beat.yml";

/** The smallest valid file; tests append or replace lines of it. */
const MINIMAL = `s3beat:
  sqsQueues: ["q1:us-east-1"]
output.console:
`;

function load(text: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return loadConfigText(text, SRC, env);
}

/** The ConfigError a text must produce. */
function failure(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    load(text, env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError, but the config loaded");
}

const problems = (text: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] => failure(text, env).problems;
/** `line path: message` of each problem, for compact assertions. */
const brief = (ps: ConfigProblem[]) => ps.map((p) => `${p.line} ${p.path}: ${p.message}`);

describe("defaults", () => {
  it("fills every setting of a minimal file", () => {
    const { settings, warnings, secrets } = load(MINIMAL);
    expect(settings).toEqual({
      s3beat: {
        sqsQueues: ["q1:us-east-1"],
        awsFlag: false,
        heartbeatDisabled: false,
        heartbeatIntervalSeconds: 60,
        beatIdentifier: "s3beat",
        assumeRoleFlag: false,
        roleArns: [],
        sessionDurationSeconds: 3600,
        roleSessionName: "s3beat",
        disableAuthRetry: false,
        region: "us-east-1",
        endpoints: {},
        s3ForcePathStyle: false,
        decoder: "lines",
        maxEventBytes: 10 * 1024 * 1024,
        maxObjectBytes: 10 * 1024 ** 3,
        maxCompressionRatio: 1000,
        fileSelectors: [],
        maxMessagesInFlight: 10,
        maxLargeObjectsInFlight: 2,
        visibilityTimeoutSeconds: 300,
        waitTimeSeconds: 20,
        shutdownGracePeriodSeconds: 5,
        retryBackoffInitSeconds: 30,
        retryBackoffMaxSeconds: 900,
      },
      output: { kind: "console", pretty: false },
      logging: { level: "info", format: "auto", metricsEnabled: true, metricsPeriodSeconds: 30 },
      http: { enabled: false, host: "127.0.0.1", port: 5066 },
    });
    expect(warnings).toEqual([]);
    expect(secrets).toEqual([]);
  });

  it('treats "" as unset for endpoints, regexes and expandEventListFromField', () => {
    const { settings } = load(`${MINIMAL}s3beat.endpoints: {sqs: "", s3: "", sts: ""}
s3beat.keyInclude: ""
s3beat.keyExclude: ""
s3beat.expandEventListFromField: ""
s3beat.multiline.pattern: ""
`);
    expect(settings.s3beat.endpoints).toEqual({});
    for (const k of ["keyInclude", "keyExclude", "expandEventListFromField", "multiline"]) expect(settings.s3beat).not.toHaveProperty(k);
  });

  it("converts units and compiles regexes", () => {
    const { settings } = load(`s3beat:
  sqsQueues: ["https://sqs.eu-west-1.amazonaws.com/123456789012/q"]
  keyInclude: "^AWSLogs/"
  keyExclude: "CloudTrail-Digest/"
  multiline.pattern: '^\\s'
  multiline.negate: true
  multiline.match: before
  multiline.maxLines: 20
  maxEventBytes: 64KiB
  visibilityTimeout: 1h30m
  sqsWaitTime: 5
  shutdownGracePeriod: 2m
  retryBackoff: {init: 10s, max: 1h}
output.file:
  path: /var/lib/s3beat
  filename: events
  rotate_every_kb: 2048
  number_of_files: 3
  permissions: "0640"
logging: {level: debug, format: pretty, metrics.period: 0}
`);
    const s = settings.s3beat;
    expect(s.keyInclude).toEqual(/^AWSLogs\//);
    expect(s.keyExclude?.test("x/CloudTrail-Digest/y")).toBe(true);
    expect(s.multiline).toEqual({ pattern: /^\s/, negate: true, match: "before", maxLines: 20 });
    expect([s.maxEventBytes, s.visibilityTimeoutSeconds, s.waitTimeSeconds, s.shutdownGracePeriodSeconds]).toEqual([65536, 5400, 5, 120]);
    expect([s.retryBackoffInitSeconds, s.retryBackoffMaxSeconds]).toEqual([10, 3600]);
    expect(settings.output).toEqual({
      kind: "file",
      path: "/var/lib/s3beat",
      filename: "events",
      rotateEveryBytes: 2048 * 1024,
      numberOfFiles: 3,
      permissions: 0o640,
    });
    expect(settings.logging).toEqual({ level: "debug", format: "pretty", metricsEnabled: false, metricsPeriodSeconds: 30 });
  });

  it.each([
    ['"0600"', 0o600],
    ["0600", 0o600], // YAML 1.2 would read this as decimal 600
    ["600", 0o600],
    ["0o644", 0o644],
    ['"755"', 0o755],
  ])("output.file.permissions: %s → %o", (text, mode) => {
    const { settings } = load(`s3beat.sqsQueues: [q:us-east-1]\noutput.file: {path: /tmp/x, permissions: ${text}}\n`);
    expect(settings.output).toMatchObject({ kind: "file", permissions: mode });
  });
});

describe("dotted keys", () => {
  it.each([
    {
      name: "under s3beat",
      dotted: `s3beat:\n  sqsQueues: [q:us-east-1]\n  multiline.pattern: "^x"\n  multiline.maxLines: 3\n  retryBackoff.init: 1m\n  endpoints.s3: "http://127.0.0.1:9000"\noutput.console:\n`,
      nested: `s3beat:\n  sqsQueues: [q:us-east-1]\n  multiline:\n    pattern: "^x"\n    maxLines: 3\n  retryBackoff:\n    init: 1m\n  endpoints:\n    s3: "http://127.0.0.1:9000"\noutput.console:\n`,
    },
    {
      name: "at the top level",
      dotted: `s3beat.sqsQueues: [q:us-east-1]\ns3beat.region: eu-west-1\noutput.console.pretty: true\nlogging.level: warn\nlogging.metrics.period: 1m\n`,
      nested: `s3beat:\n  sqsQueues: [q:us-east-1]\n  region: eu-west-1\noutput:\n  console:\n    pretty: true\nlogging:\n  level: warn\n  metrics:\n    period: 1m\n`,
    },
    {
      name: "mixed: a section plus dotted keys into it",
      dotted: `s3beat:\n  sqsQueues: [q:us-east-1]\ns3beat.decoder: ndjson\nlogging:\n  metrics.period: 5s\nlogging.format: pretty\noutput.console:\n`,
      nested: `s3beat:\n  sqsQueues: [q:us-east-1]\n  decoder: ndjson\nlogging:\n  format: pretty\n  metrics:\n    period: 5s\noutput:\n  console: {}\n`,
    },
    {
      name: "inside a file selector",
      dotted: `s3beat:\n  sqsQueues: [q:us-east-1]\n  fileSelectors:\n    - keyRegex: java\n      multiline.pattern: "^\\\\s"\noutput.console:\n`,
      nested: `s3beat:\n  sqsQueues: [q:us-east-1]\n  fileSelectors:\n    - keyRegex: java\n      multiline:\n        pattern: "^\\\\s"\noutput.console:\n`,
    },
  ])("$name: dotted and nested forms give the same settings", ({ dotted, nested }) => {
    const a = load(dotted);
    const b = load(nested);
    expect(a.settings).toEqual(b.settings);
    expect(a.warnings).toEqual([]);
    // Guard against both sides silently falling back to defaults.
    expect(a.settings).not.toEqual(load(MINIMAL).settings);
  });

  it.each([
    {
      name: "dotted then nested",
      text: `s3beat:\n  sqsQueues: [q:us-east-1]\n  multiline.pattern: a\n  multiline:\n    pattern: b\noutput.console:\n`,
      want: ["5 s3beat.multiline.pattern: is set more than once (first at line 3)"],
    },
    {
      name: "nested then dotted, at the top",
      text: `s3beat:\n  sqsQueues: [q:us-east-1]\n  region: eu-west-1\ns3beat.region: us-west-2\noutput.console:\n`,
      want: ["4 s3beat.region: is set more than once (first at line 3)"],
    },
    {
      name: "a plain duplicate key",
      text: `s3beat:\n  sqsQueues: [q:us-east-1]\n  decoder: json\n  decoder: lines\noutput.console:\n`,
      want: ["4 s3beat.decoder: is set more than once (first at line 3)"],
    },
    {
      name: "a value and a section of the same name",
      text: `s3beat:\n  sqsQueues: [q:us-east-1]\n  multiline: off\n  multiline.pattern: x\noutput.console:\n`,
      want: ["3 s3beat.multiline: expected a mapping of keys", "4 s3beat.multiline: is set more than once (first at line 3)"],
    },
  ])("setting a key twice is a problem: $name", ({ text, want }) => {
    expect(brief(problems(text))).toEqual(want);
  });
});

describe("environment variables", () => {
  const text = `s3beat:
  sqsQueues: ["\${QUEUE}"]
  accessKeyID: \${S3BEAT_ACCESS_KEY_ID}
  secretAccessKey: \${S3BEAT_SECRET_ACCESS_KEY}
  region: \${REGION:eu-central-1}
  awsFlag: \${IN_AWS:false}
  maxMessagesInFlight: \${IN_FLIGHT:4}
  keyExclude: "$\${literal}"
output.file:
  path: \${OUT_DIR:/var/lib/s3beat}/events
`;
  const env = { QUEUE: "logs:us-east-2", S3BEAT_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", S3BEAT_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG" };

  it("expands set variables and defaults, before validation (booleans and numbers too)", () => {
    const { settings, secrets } = load(text, env);
    expect(settings.s3beat).toMatchObject({
      sqsQueues: ["logs:us-east-2"],
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG",
      region: "eu-central-1",
      awsFlag: false,
      maxMessagesInFlight: 4,
      keyExclude: /${literal}/,
    });
    expect(settings.output).toMatchObject({ path: "/var/lib/s3beat/events" });
    expect(secrets).toEqual(["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG"]);
  });

  it("a set variable beats the default", () => {
    const { settings } = load(text, { ...env, REGION: "ap-south-1", IN_AWS: "true", IN_FLIGHT: "50", OUT_DIR: "/data" });
    expect(settings.s3beat).toMatchObject({ region: "ap-south-1", awsFlag: true, maxMessagesInFlight: 50 });
    expect(settings.output).toMatchObject({ path: "/data/events" });
  });

  it("reports every missing variable at its value's line, and nothing else about those keys", () => {
    const ps = problems(text, { QUEUE: "logs:us-east-2" });
    expect(ps.map((p) => [p.line, p.column, p.path])).toEqual([
      [3, 16, "s3beat.accessKeyID"],
      [4, 20, "s3beat.secretAccessKey"],
    ]);
    expect(ps[0]!.message).toMatch(/environment variable S3BEAT_ACCESS_KEY_ID is not set/);
    expect(ps[1]!.message).toMatch(/environment variable S3BEAT_SECRET_ACCESS_KEY is not set/);
  });

  it("a missing variable inside a list item points at the item", () => {
    expect(brief(problems(text, { ...env, QUEUE: undefined }))).toEqual([
      "2 s3beat.sqsQueues[0]: environment variable QUEUE is not set (set it, or give a default: ${QUEUE:default})",
    ]);
  });

  it("a missing variable in an unknown key is not an error", () => {
    const { warnings } = load(`${MINIMAL}s3beat.oldSetting: \${NOT_SET}\n`);
    expect(brief(warnings)).toEqual(["4 s3beat.oldSetting: unknown key (kept, but s3beat ignores it; check the spelling)"]);
  });
});

describe("problems", () => {
  it("reports all problems of a file at once, each with its own line", () => {
    const ps = problems(`s3beat:
  sqsQueues:
    - "good:us-east-1"
    - "no-region"
  decoder: xml
  visibilityTimeout: 1s
output.console:
`);
    expect(ps.map((p) => [p.line, p.path])).toEqual([
      [4, "s3beat.sqsQueues[1]"],
      [5, "s3beat.decoder"],
      [6, "s3beat.visibilityTimeout"],
    ]);
    expect(ps.map((p) => p.message)).toEqual([
      expect.stringContaining('expected "name:region"'),
      "expected one of lines, ndjson, json",
      "must be between 2s and 12h, got 1s",
    ]);
  });

  it("ConfigError's message lists every problem as file:line:column path: message", () => {
    const err = failure(`s3beat:\n  sqsQueues: [q:us-east-1]\n  maxMessagesInFlight: 0\n  sqsWaitTime: 1m\noutput.console:\n`);
    expect(err.message).toBe(
      [
        "cannot load s3beat.yml (2 problems):",
        "  s3beat.yml:3:3 s3beat.maxMessagesInFlight: must be between 1 and 100",
        "  s3beat.yml:4:3 s3beat.sqsWaitTime: must be between 0s and 20s, got 1m",
      ].join("\n"),
    );
  });

  it.each([
    ["s3beat.maxMessagesInFlight: 101", "s3beat.maxMessagesInFlight", /between 1 and 100/],
    ["s3beat.maxMessagesInFlight: 2.5", "s3beat.maxMessagesInFlight", /whole number/],
    ["s3beat.maxEventBytes: 512", "s3beat.maxEventBytes", /between 1KiB and 100MiB/],
    ["s3beat.maxEventBytes: 101MiB", "s3beat.maxEventBytes", /between 1KiB and 100MiB/],
    ["s3beat.maxEventBytes: lots", "s3beat.maxEventBytes", /expected a size/],
    ["s3beat.visibilityTimeout: 13h", "s3beat.visibilityTimeout", /between 2s and 12h/],
    ["s3beat.visibilityTimeout: soon", "s3beat.visibilityTimeout", /expected a duration like 30s, 5m, 1h30m/],
    ["s3beat.shutdownGracePeriod: 11m", "s3beat.shutdownGracePeriod", /between 0s and 10m/],
    ["s3beat.retryBackoff.max: 13h", "s3beat.retryBackoff.max", /between 0s and 12h/],
    ["s3beat.retryBackoff: {init: 10m, max: 5m}", "s3beat.retryBackoff.max", /at least retryBackoff.init \(10m\)/],
    ["s3beat.keyInclude: '(unclosed'", "s3beat.keyInclude", /invalid regular expression: .*Unterminated group/],
    ["s3beat.multiline.pattern: '['", "s3beat.multiline.pattern", /invalid regular expression/],
    ["s3beat.multiline.match: around", "s3beat.multiline.match", /one of after, before/],
    ["s3beat.endpoints.sqs: localhost:4566", "s3beat.endpoints.sqs", /http:\/\/ or https:\/\/ URL/],
    ["s3beat.region: Europe", "s3beat.region", /AWS region like us-east-1/],
    ["s3beat.awsFlag: maybe", "s3beat.awsFlag", /true or false/],
    ["s3beat.endpoints: http://x", "s3beat.endpoints", /mapping/],
    ["s3beat.expandEventListFromField: Records", "s3beat.expandEventListFromField", /only applies to decoder: json \(decoder is lines\)/],
    ["s3beat: {decoder: json, multiline.pattern: x}", "s3beat.multiline.pattern", /only applies to decoder: lines/],
    ["logging.level: loud", "logging.level", /one of trace, debug, info, warn, error, fatal/],
    ["logging.format: xml", "logging.format", /one of auto, json, pretty/],
    ["http.port: 70000", "http.port", /between 0 and 65535/],
    ["http.enabled: yes please", "http.enabled", /true or false/],
    ["logging.metrics.period: -1", "logging.metrics.period", /expected a duration/],
  ])("%s → %s", (line, path, message) => {
    const ps = problems(`${MINIMAL}${line}\n`);
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatchObject({ path, line: 4, message: expect.stringMatching(message) });
  });

  it.each([
    { entries: '["bad name:us-east-1"]', path: "s3beat.sqsQueues[0]", message: /queue name "bad name" is not valid/ },
    { entries: '["q:mars-1"]', path: "s3beat.sqsQueues[0]", message: /"mars-1" is not an AWS region/ },
    { entries: '["https://sqs.us-east-1.amazonaws.com/q"]', path: "s3beat.sqsQueues[0]", message: /no \/ACCOUNT\/NAME path/ },
    { entries: '["a:us-east-1", "b:us-east-1", "a:us-east-1"]', path: "s3beat.sqsQueues[2]", message: /listed twice/ },
    { entries: "[]", path: "s3beat.sqsQueues", message: /at least one queue/ },
    { entries: "[42]", path: "s3beat.sqsQueues[0]", message: /expected "name:region"/ },
  ])("sqsQueues: $entries", ({ entries, path, message }) => {
    const ps = problems(`s3beat:\n  sqsQueues: ${entries}\noutput.console:\n`);
    expect(ps).toEqual([expect.objectContaining({ path, line: 2, message: expect.stringMatching(message) })]);
  });

  it("accepts a single queue written as a string", () => {
    expect(load(`s3beat.sqsQueues: "q:eu-west-3"\noutput.console:\n`).settings.s3beat.sqsQueues).toEqual(["q:eu-west-3"]);
  });

  it("a missing required key points at its section", () => {
    expect(brief(problems(`# header\ns3beat:\n  region: eu-west-1\noutput.console:\n`))).toEqual([
      '2 s3beat.sqsQueues: required: list the SQS queues to read, as "name:region" or queue URLs',
    ]);
  });

  it("a missing s3beat section is reported", () => {
    expect(problems(`output.console:\n`)).toEqual([{ path: "s3beat", message: "missing section: add s3beat: with at least sqsQueues" }]);
  });

  it.each([
    {
      name: "no output",
      text: "s3beat.sqsQueues: [q:us-east-1]\n",
      want: ["undefined output: no output configured: add output.logstash, output.console or output.file"],
    },
    {
      name: "two outputs",
      text: "s3beat.sqsQueues: [q:us-east-1]\noutput.console:\noutput.file.path: /tmp\n",
      want: ["2 output: only one output may be enabled, found output.console and output.file; set enabled: false on all but one"],
    },
    {
      name: "logstash and console",
      text: 's3beat.sqsQueues: [q:us-east-1]\noutput.logstash:\n  hosts: ["opencollector:5044"]\noutput.console:\n',
      want: ["2 output: only one output may be enabled, found output.logstash and output.console; set enabled: false on all but one"],
    },
    {
      name: "logstash without hosts",
      text: "s3beat.sqsQueues: [q:us-east-1]\noutput.logstash:\n  loadbalance: true\n",
      want: ['2 output.logstash.hosts: required: list the collectors\' Beats inputs, e.g. hosts: ["opencollector:5044"]'],
    },
    {
      name: "file without path",
      text: "s3beat.sqsQueues: [q:us-east-1]\noutput.file:\n  filename: x\n",
      want: ["2 output.file.path: required: the directory to write the files to"],
    },
    {
      name: "only disabled outputs",
      text: "s3beat.sqsQueues: [q:us-east-1]\noutput.console.enabled: false\n",
      want: ["2 output: no output configured: add output.logstash, output.console or output.file"],
    },
    {
      name: "bad file options",
      text: "s3beat.sqsQueues: [q:us-east-1]\noutput.file:\n  path: /tmp\n  number_of_files: 1\n  permissions: rw\n  filename: a/b\n",
      want: [
        "4 output.file.number_of_files: must be between 2 and 1024",
        '5 output.file.permissions: expected an octal file mode like "0600", got "rw"',
        "6 output.file.filename: expected a plain file name, without / (put the directory in path)",
      ],
    },
  ])("outputs: $name", ({ text, want }) => {
    expect(brief(problems(text))).toEqual(want);
  });

  it("a disabled output does not count, so another one may be enabled", () => {
    const { settings } = load("s3beat.sqsQueues: [q:us-east-1]\noutput.console.enabled: false\noutput.file.path: /tmp/o\n");
    expect(settings.output).toMatchObject({ kind: "file", path: "/tmp/o" });
  });

  it("a disabled logstash section is tolerated", () => {
    expect(load(`${MINIMAL}output.logstash: {enabled: false, hosts: ["x:5044"]}\n`).settings.output.kind).toBe("console");
  });
});

describe("unknown keys", () => {
  it("are warnings with their line, not errors, at any level", () => {
    const { settings, warnings } = load(`s3beat:
  sqsQueues: [q:us-east-1]
  assumeRoleFlagg: true
  multiline.patern: x
  fileSelectors:
    - keyRegex: a
      decodr: json
output.console:
  colour: true
processors: []
`);
    expect(settings.s3beat.decoder).toBe("lines");
    expect(warnings.map((w) => [w.line, w.column, w.path])).toEqual([
      [3, 3, "s3beat.assumeRoleFlagg"],
      [4, 3, "s3beat.multiline.patern"],
      [7, 7, "s3beat.fileSelectors[0].decodr"],
      [9, 3, "output.console.colour"],
      [10, 1, "processors"],
    ]);
    expect(warnings.every((w) => /unknown key|not used by s3beat/.test(w.message))).toBe(true);
  });

  it("are also carried by a ConfigError, next to the real problems", () => {
    const err = failure(`s3beat:\n  sqsQueue: [q:us-east-1]\noutput.console:\n`);
    expect(brief(err.problems)).toEqual([expect.stringMatching(/^1 s3beat.sqsQueues: required/)]);
    expect(brief(err.warnings)).toEqual([expect.stringMatching(/^2 s3beat.sqsQueue: unknown key/)]);
  });
});

describe("YAML structure", () => {
  it.each([
    { name: "unclosed flow list", text: "s3beat:\n  sqsQueues: [a,\n", line: 3, column: 1 },
    { name: "misaligned keys", text: "s3beat:\n  sqsQueues: [q:us-east-1]\n   region: x\n  decoder: json\n", line: 3, column: 1 },
    { name: "a nested mapping on one line", text: "s3beat:\n  region: a: b\n", line: 2, column: 11 },
    { name: "a reserved character", text: "s3beat:\n  decoder: @json\n", line: 2, column: 12 },
    { name: "tab indentation", text: "s3beat:\n\tsqsQueues: []\n", line: 2, column: 1 },
    { name: "a second document", text: `${MINIMAL}---\nfoo: 1\n`, line: 4, column: 1 },
  ])("a syntax error has its line and column: $name", ({ text, line, column }) => {
    const ps = problems(text);
    expect(ps[0]).toMatchObject({ path: "", line, column });
    expect(ps[0]!.message.length).toBeGreaterThan(0);
  });

  it.each([
    { name: "empty", text: "", line: 1, message: /the file is empty/ },
    { name: "only comments", text: "# nothing yet\n", line: 1, message: /the file is empty/ },
    { name: "a list", text: "\n- s3beat\n", line: 2, message: /top level must be a mapping.*found a list/ },
    { name: "a scalar", text: "s3beat\n", line: 1, message: /top level must be a mapping.*found a single value/ },
  ])("a file that is $name is refused with a line", ({ text, line, message }) => {
    expect(problems(text)).toEqual([{ path: "", line, column: 1, message: expect.stringMatching(message) }]);
  });

  it("an anchor and alias are resolved", () => {
    const { settings } = load(`s3beat:\n  sqsQueues: &q [q:us-east-1]\n  endpoints: {sqs: &e "http://127.0.0.1:1", s3: *e}\noutput.console:\nx-copy: *q\n`);
    expect(settings.s3beat.endpoints).toEqual({ sqs: "http://127.0.0.1:1", s3: "http://127.0.0.1:1" });
  });

  it("a key named __proto__ stays an ordinary (unknown) key", () => {
    const { warnings } = load(`${MINIMAL}s3beat.__proto__: {polluted: true}\n`);
    expect(warnings.map((w) => w.path)).toEqual(["s3beat.__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("secrets", () => {
  const ID = "AKIAIOSFODNN7EXAMPLE";
  const KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const leaks = (err: ConfigError, ...values: string[]) => {
    const texts = [err.message, ...err.problems.map((p) => formatProblem(p, SRC)), ...err.warnings.map((p) => p.message)];
    return values.filter((v) => texts.some((t) => t.includes(v)));
  };
  const file = (lines: string) => `s3beat:\n  sqsQueues: [q:us-east-1]\n${lines}output.console:\n`;

  it.each([
    {
      name: "secretAccessKey written as a number",
      text: file("  accessKeyID: x\n  secretAccessKey: 98765432109876\n"),
      value: "98765432109876",
      path: "s3beat.secretAccessKey",
    },
    { name: "secretAccessKey written as a list", text: file(`  accessKeyID: x\n  secretAccessKey: ["${KEY}"]\n`), value: KEY, path: "s3beat.secretAccessKey" },
    { name: "accessKeyID without its pair", text: file(`  accessKeyID: ${ID}\n`), value: ID, path: "s3beat.accessKeyID" },
    { name: "secretAccessKey without its pair", text: file(`  secretAccessKey: "${KEY}"\n`), value: KEY, path: "s3beat.secretAccessKey" },
    {
      name: "a LogRhythm-encrypted secret",
      text: file(`  accessKeyID: ${ID}\n  secretAccessKey: "2||c2VjcmV0LXZhbHVl"\n`),
      value: "c2VjcmV0LXZhbHVl",
      path: "s3beat.secretAccessKey",
    },
    { name: "a bad escape inside the secret", text: file(`  accessKeyID: ${ID}\n  secretAccessKey: "ab\\qSECRETTAIL"\n`), value: "\\q", path: "" },
    {
      name: "a malformed reference in the secret",
      text: file(`  accessKeyID: ${ID}\n  secretAccessKey: "pre\${SECRETTAIL"\n`),
      value: "SECRETTAIL",
      path: "s3beat.secretAccessKey",
    },
  ])("no message echoes the value: $name", ({ text, value, path }) => {
    const err = failure(text);
    expect(err.problems.map((p) => p.path)).toContain(path);
    expect(leaks(err, value)).toEqual([]);
  });

  it("values expanded from the environment are not echoed either", () => {
    const err = failure(file("  accessKeyID: ${ID}\n  secretAccessKey: ${KEY}\n"), { ID: "", KEY });
    expect(brief(err.problems)).toEqual([expect.stringMatching(/^4 s3beat.secretAccessKey: is set but accessKeyID is not/)]);
    expect(leaks(err, KEY)).toEqual([]);
  });

  it("keys given while awsFlag is true are reported as ignored, without their values", () => {
    const { warnings, secrets } = load(file(`  awsFlag: true\n  accessKeyID: ${ID}\n  secretAccessKey: ${KEY}\n`));
    expect(brief(warnings)).toEqual(["4 s3beat.accessKeyID: ignored because awsFlag is true", "5 s3beat.secretAccessKey: ignored because awsFlag is true"]);
    expect(secrets).toEqual([ID, KEY]);
  });
});

describe("file selectors", () => {
  it("inherit unset options from the top level and can switch inherited ones off", () => {
    const { settings } = load(`s3beat:
  sqsQueues: [q:us-east-1]
  maxEventBytes: 1MiB
  multiline: {pattern: "^\\\\s", maxLines: 9}
  fileSelectors:
    - keyRegex: "^java/"
      multiline.negate: true
    - keyRegex: "CloudTrail/"
      decoder: json
      expandEventListFromField: Records
      multiline.pattern: ""
      maxEventBytes: 5MiB
output.console:
`);
    expect(settings.s3beat.fileSelectors).toEqual([
      { keyRegex: /^java\//, decoder: "lines", multiline: { pattern: /^\s/, negate: true, match: "after", maxLines: 9 }, maxEventBytes: 1024 ** 2 },
      { keyRegex: /CloudTrail\//, decoder: "json", expandEventListFromField: "Records", maxEventBytes: 5 * 1024 ** 2 },
    ]);
  });

  it.each([
    {
      name: "no keyRegex",
      top: "",
      sel: "- decoder: json",
      want: "5 s3beat.fileSelectors[0].keyRegex: required: the regex of the object keys this selector applies to",
    },
    {
      name: "bad keyRegex",
      top: "",
      sel: "- keyRegex: '*.gz'",
      want: "5 s3beat.fileSelectors[0].keyRegex: invalid regular expression: /*.gz/: Nothing to repeat",
    },
    {
      name: "expand with another decoder",
      top: "",
      sel: "- {keyRegex: a, decoder: ndjson, expandEventListFromField: Records}",
      want: "5 s3beat.fileSelectors[0].expandEventListFromField: only applies to decoder: json (decoder is ndjson); remove it or change the decoder",
    },
    {
      name: "an inherited multiline pattern with decoder json",
      top: "  multiline.pattern: x\n",
      sel: "- {keyRegex: a, decoder: json}",
      want: `6 s3beat.fileSelectors[0].decoder: decoder json cannot use the multiline.pattern inherited from s3beat (it needs decoder: lines); set multiline.pattern: "" in this selector`,
    },
    {
      name: "an inherited expandEventListFromField with decoder lines",
      top: "  decoder: json\n  expandEventListFromField: Records\n",
      sel: "- {keyRegex: a, decoder: lines}",
      want: `7 s3beat.fileSelectors[0].decoder: decoder lines cannot use the expandEventListFromField inherited from s3beat (it needs decoder: json); set expandEventListFromField: "" in this selector`,
    },
  ])("are checked: $name", ({ top, sel, want }) => {
    const text = `s3beat:\n  sqsQueues: [q:us-east-1]\n${top}output.console:\ns3beat.fileSelectors:\n  ${sel}\n`;
    expect(brief(problems(text))).toEqual([want]);
  });

  it("an inherited option switched off in the selector is accepted", () => {
    const { settings } = load(
      `${MINIMAL}s3beat.decoder: json\ns3beat.expandEventListFromField: Records\ns3beat.fileSelectors: [{keyRegex: a, decoder: ndjson, expandEventListFromField: ""}]\n`,
    );
    expect(settings.s3beat.fileSelectors).toEqual([{ keyRegex: /a/, decoder: "ndjson", maxEventBytes: 10 * 1024 ** 2 }]);
  });
});

describe("files", () => {
  it("the example config loads without problems and documents the real defaults", async () => {
    const env = { S3BEAT_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE12", S3BEAT_SECRET_ACCESS_KEY: "example-secret-example-secret" };
    const example = await loadConfigFile(EXAMPLE, env);
    expect(example.warnings).toEqual([]);
    expect(example.secrets).toEqual(Object.values(env));
    const minimal = load(`s3beat:\n  sqsQueues: ["prod-cloudtrail-events:us-east-1"]\n  accessKeyID: a\n  secretAccessKey: b\noutput.console:\n`);
    expect({ ...example.settings.s3beat, accessKeyId: "a", secretAccessKey: "b" }).toEqual(minimal.settings.s3beat);
    expect(example.settings.output).toEqual(minimal.settings.output);
    expect(example.settings.logging).toEqual(minimal.settings.logging);
    expect(example.settings.http).toEqual(minimal.settings.http);
  });

  it("the example config without its environment names both variables", async () => {
    const err = await loadConfigFile(EXAMPLE, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.message)).toEqual([
      expect.stringContaining("S3BEAT_ACCESS_KEY_ID is not set"),
      expect.stringContaining("S3BEAT_SECRET_ACCESS_KEY is not set"),
    ]);
  });

  it("a missing file says how to create one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "s3beat-cfg-"));
    try {
      const path = join(dir, "s3beat.yml");
      const err = await loadConfigFile(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain(`s3beat setup -c ${path}`);
      expect((err as ConfigError).message).toContain("config/s3beat.example.yml");
      await writeFile(path, MINIMAL);
      expect((await loadConfigFile(path)).settings.s3beat.sqsQueues).toEqual(["q1:us-east-1"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("formatProblem", () => {
  it.each([
    [{ path: "s3beat.visibilityTimeout", line: 12, column: 5, message: "bad" }, "s3beat.yml:12:5 s3beat.visibilityTimeout: bad"],
    [{ path: "", line: 3, column: 1, message: "syntax" }, "s3beat.yml:3:1 syntax"],
    [{ path: "output", message: "no output" }, "s3beat.yml output: no output"],
  ])("%j", (p, want) => {
    expect(formatProblem(p, SRC)).toBe(want);
  });
});

describe("assume-role keys", () => {
  const base = `s3beat:
  sqsQueues: ["a:us-east-1", "b:eu-west-1"]
output.console:
`;
  it("reads every key, with units and a lone ARN as a list", () => {
    const { settings } = load(`${base}s3beat.assumeRoleFlag: true
s3beat.roleArn: arn:aws:iam::123456789012:role/path/reader
s3beat.sessionDuration: 1h30m
s3beat.roleSessionName: ingest@siem
s3beat.externalId: "ext:42/x"
s3beat.disableAuthRetry: true
`);
    expect(settings.s3beat).toMatchObject({
      assumeRoleFlag: true,
      roleArns: ["arn:aws:iam::123456789012:role/path/reader"],
      sessionDurationSeconds: 5400,
      roleSessionName: "ingest@siem",
      externalId: "ext:42/x",
      disableAuthRetry: true,
    });
  });

  it.each([
    ["3600", 3600],
    ["90m", 5400],
    ["3600s", 3600],
    ["12h", 43200],
    ["15m", 900],
  ])("sessionDuration %s = %i seconds", (v, seconds) => {
    expect(load(`${base}s3beat.sessionDuration: ${v}\n`).settings.s3beat.sessionDurationSeconds).toBe(seconds);
  });

  it.each([
    ["s3beat.assumeRoleFlag: true", "s3beat.assumeRoleFlag", /roleArn is empty/],
    ["s3beat.assumeRoleFlag: true\ns3beat.roleArn: []", "s3beat.roleArn", /roleArn is empty/],
    ["s3beat.roleArn: [arn:aws:iam::12345:role/x]", "s3beat.roleArn[0]", /expected a role ARN like .*got "arn:aws:iam::12345:role\/x"/],
    ["s3beat.roleArn: [arn:aws:s3:::bucket]", "s3beat.roleArn[0]", /12-digit account id/],
    [
      "s3beat.assumeRoleFlag: true\ns3beat.roleArn: [arn:aws:iam::123456789012:role/a, arn:aws:iam::123456789012:role/b, arn:aws:iam::123456789012:role/c]",
      "s3beat.roleArn",
      /3 roles for 2 queues/,
    ],
    ["s3beat.sessionDuration: 10m", "s3beat.sessionDuration", /between 15m and 12h/],
    ["s3beat.sessionDuration: 13h", "s3beat.sessionDuration", /between 15m and 12h/],
    ["s3beat.roleSessionName: x", "s3beat.roleSessionName", /2–64/],
    ["s3beat.roleSessionName: has space", "s3beat.roleSessionName", /2–64/],
    ["s3beat.externalId: 'a b'", "s3beat.externalId", /2–1224/],
  ])("%s is refused at %s", (extra, path, message) => {
    const ps = problems(`${base}${extra}\n`);
    expect(ps.map((p) => p.path)).toContain(path);
    expect(ps.find((p) => p.path === path)?.message).toMatch(message);
    expect(ps.find((p) => p.path === path)?.line).toBeGreaterThan(0);
  });

  it("two roles for two queues is fine; roles without the flag are a warning", () => {
    expect(
      load(`${base}s3beat.assumeRoleFlag: true\ns3beat.roleArn: [arn:aws:iam::123456789012:role/a, arn:aws:iam::210987654321:role/b]\n`).settings.s3beat
        .roleArns,
    ).toHaveLength(2);
    const { warnings } = load(`${base}s3beat.roleArn: [arn:aws:iam::123456789012:role/a]\n`);
    expect(brief(warnings)).toEqual(["4 s3beat.roleArn: ignored because assumeRoleFlag is false"]);
  });
});

describe("environment defaults (the container image's S3BEAT_HTTP_*)", () => {
  const base = "s3beat:\n  sqsQueues: [q:us-east-1]\noutput.console: {}\n";
  it.each([
    [
      "absent from the file: the environment's value",
      base,
      { S3BEAT_HTTP_ENABLED: "true", S3BEAT_HTTP_PORT: "6000" },
      { enabled: true, host: "127.0.0.1", port: 6000 },
    ],
    [
      "the file wins over the environment",
      `${base}http.enabled: false\nhttp.port: 7000\n`,
      { S3BEAT_HTTP_ENABLED: "true", S3BEAT_HTTP_PORT: "6000" },
      { enabled: false, host: "127.0.0.1", port: 7000 },
    ],
    [
      "a partly set section takes the rest from the environment",
      `${base}http:\n  port: 7000\n`,
      { S3BEAT_HTTP_ENABLED: "true", S3BEAT_HTTP_HOST: "0.0.0.0" },
      { enabled: true, host: "0.0.0.0", port: 7000 },
    ],
    ["an empty variable counts as unset", base, { S3BEAT_HTTP_ENABLED: "" }, { enabled: false, host: "127.0.0.1", port: 5066 }],
  ])("%s", (_name, text, env, http) => {
    expect(loadConfigText(text, "env.yml", env).settings.http).toEqual(http);
  });

  it("an invalid value from the environment is reported on the key it stands for", () => {
    expect(() => loadConfigText(base, "env.yml", { S3BEAT_HTTP_PORT: "99999" })).toThrow(/http\.port.*between 0 and 65535/);
  });
});

describe("queue names: SQS allows 80 characters, the .fifo suffix included", () => {
  const withQueue = (q: string) => `s3beat:\n  sqsQueues: ["${q}:us-east-1"]\noutput.console: {}\n`;
  it.each([
    ["a".repeat(80), true],
    ["a".repeat(76), true],
    ["a".repeat(81), false],
    [`${"a".repeat(75)}.fifo`, true],
    [`${"a".repeat(76)}.fifo`, false],
    ["bad name", false],
  ])("%s → valid %s", (name, valid) => {
    const load = () => loadConfigText(withQueue(name), "q.yml", {});
    if (valid) expect(load().settings.s3beat.sqsQueues).toEqual([`${name}:us-east-1`]);
    else expect(load).toThrow(/queue name .* is not valid: up to 80/);
  });
});

describe("the beat's name comes from the environment the loader is given, not from process.env", () => {
  const text = `s3beat:\n  sqsQueues: ["q:us-east-1"]\n  beatIdentifier: prod\noutput.console: {}\n`;
  it.each([
    [{}, "s3beat_prod"],
    [{ FullyQualifiedBeatName: "s3beat_siem_01" }, "s3beat_siem_01"],
    [{ FullyQualifiedBeatName: "" }, "s3beat_prod"],
  ])("env %j → %s", (env, want) => {
    const before = process.env.FullyQualifiedBeatName;
    process.env.FullyQualifiedBeatName = "from-process-env";
    try {
      expect(loadConfigText(text, "q.yml", env).settings.s3beat.beatIdentifier).toBe(want);
    } finally {
      if (before === undefined) delete process.env.FullyQualifiedBeatName;
      else process.env.FullyQualifiedBeatName = before;
    }
  });
});
