/**
 * The runner and migration 001 on small inline files: refusals (with line and column), the
 * placement rules, legacy names, version stamping, and the runner's handling of a migration list.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CURRENT_CONFIG_VERSION, MIGRATIONS } from "../../migrations/index.ts";
import * as m001 from "../../migrations/001-assume-role.ts";
import { checkMigrationList, planMigration, type MigrationPlan } from "../../src/migrate/plan.ts";
import type { Pair, Scalar, YAMLMap } from "yaml";
import { renameKey } from "../../src/migrate/keyEdits.ts";
import { commentOffsets, parseSource } from "../../src/migrate/source.ts";
import { applyEdits } from "../../src/migrate/text.ts";
import type { Migration } from "../../src/migrate/types.ts";

const ADDED_BLOCK = (indent: string, column: number | undefined, except: string[] = []) =>
  [
    ["assumeRoleFlag", "false", "true: use temporary credentials of roleArn (cross-account) for SQS and S3"],
    ["roleArn", "[]", "role ARNs: one for every queue, or one per sqsQueues entry in order"],
    ["sessionDuration", "1h", "15m..12h, at most the role's MaxSessionDuration"],
    ["roleSessionName", "s3beat", "shows in CloudTrail"],
    ["externalId", '""', "the sts:ExternalId the role's trust policy demands"],
    ["disableAuthRetry", "false", "true: no automatic refresh and retry after an ExpiredToken answer"],
  ]
    .filter(([k]) => !except.includes(k!))
    .map(([k, v, c]) => {
      const body = `${indent}${k}: ${v}`;
      return `${body}${" ".repeat(column !== undefined && body.length + 1 < column ? column - body.length : 2)}# ${c}\n`;
    })
    .join("");
const STAMP = "\n# Schema version of this file. s3beat migrate-config manages it: do not edit it by hand.\nconfigVersion: 1\n";

function pending(plan: MigrationPlan) {
  if (plan.status !== "pending") throw new Error(`expected pending, got ${JSON.stringify(plan)}`);
  return plan;
}
const migrate = (text: string): string => {
  const plan = pending(planMigration(text));
  expect(plan.problems).toEqual([]);
  return plan.text;
};
const refusal = (text: string) => {
  const plan = planMigration(text);
  if (plan.status !== "refused") throw new Error(`expected a refusal, got ${plan.status}`);
  return plan.problems.map((p) => `${p.line}:${p.column} ${p.path ? `${p.path}: ` : ""}${p.message}`);
};

describe("refused files", () => {
  it.each([
    ["an unclosed flow list", "s3beat:\n  sqsQueues: [q1:us-east-1\n  awsFlag: false\n", /^3:\d+ /],
    ["a tab as indentation", "s3beat:\n\tawsFlag: false\n", /^2:1 /],
    ["a bad indentation", "s3beat:\n  awsFlag: false\n assumeRoleFlag: true\n", /^3:\d+ /],
    ["a second document", "s3beat:\n  awsFlag: false\n---\nx: 1\n", /^3:1 .*more than one YAML document/],
    ["a list", "- s3beat\n- output\n", /^1:1 the top level must be a block mapping.*found a list/],
    ["a single value", "s3beat\n", /^1:1 .*found a single value/],
    ["an empty file", "", /^1:1 .*found an empty file/],
    ["only comments", "# nothing here\n", /^\d:1 .*found an empty file/],
    ["a flow mapping", "{s3beat: {awsFlag: false}}\n", /^1:1 .*found a {…} flow mapping/],
  ])("%s, with line and column", (_, text, expected) => {
    const problems = refusal(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(expected);
  });

  it.each([
    ["configVersion: -1\ns3beat: {}\n", "1:1 configVersion: must be a whole number"],
    ["configVersion: 1.5\ns3beat: {}\n", "1:1 configVersion: must be a whole number"],
    ["s3beat: {}\nconfigVersion: one\n", "2:1 configVersion: must be a whole number"],
    ["configVersion: 0\ns3beat: {}\nconfigVersion: 0\n", "3:1 configVersion: is set more than once (first at line 1)"],
    [`s3beat: {}\nconfigVersion: ${CURRENT_CONFIG_VERSION + 1}\n`, `2:1 configVersion: ${CURRENT_CONFIG_VERSION + 1} is newer than this s3beat knows`],
  ])("a configVersion it cannot use: %j", (text, expected) => {
    expect(refusal(text)[0]).toContain(expected);
  });

  it("does not hand yaml's message for a bad escape through (it may quote a secret)", () => {
    expect(refusal('s3beat:\n  secretAccessKey: "abc\\qSECRET"\n')[0]).not.toContain("SECRET");
  });
});

describe("nothing pending", () => {
  it("gives a file that already has the settings (the annotated example) only its version", () => {
    const example = readFileSync(fileURLToPath(new URL("../../config/s3beat.example.yml", import.meta.url)), "utf8");
    // The shipped example is current; without its version lines it needs only the stamp.
    expect(planMigration(example)).toEqual({ status: "current", version: CURRENT_CONFIG_VERSION });
    const unversioned = example.replace(/\n# Schema version of this file[^\n]*\nconfigVersion: \d+\n$/, "");
    expect(unversioned).not.toContain("configVersion");
    const plan = pending(planMigration(unversioned));
    expect(plan.text).toBe(unversioned + STAMP);
    expect(plan.steps.map((s) => s.changes)).toEqual([[]]);
  });

  it("reports the version of a file that has every migration", () => {
    expect(planMigration(`s3beat:\n  awsFlag: false\nconfigVersion: ${CURRENT_CONFIG_VERSION}\n`)).toEqual({
      status: "current",
      version: CURRENT_CONFIG_VERSION,
    });
  });
});

describe("migration 001: where the settings go", () => {
  it("after secretAccessKey, even when accessKeyID and awsFlag come later", () => {
    const text = "s3beat:\n  secretAccessKey: ${S}\n  accessKeyID: ${A}\n  awsFlag: false\n";
    expect(migrate(text)).toBe(`s3beat:\n  secretAccessKey: \${S}\n${ADDED_BLOCK("  ", undefined)}  accessKeyID: \${A}\n  awsFlag: false\n${STAMP}`);
  });

  it("after accessKeyID when there is no secretAccessKey", () => {
    const text = "s3beat:\n  awsFlag: false\n  accessKeyID: x\n  region: us-east-1\n";
    expect(migrate(text)).toBe(`s3beat:\n  awsFlag: false\n  accessKeyID: x\n${ADDED_BLOCK("  ", undefined)}  region: us-east-1\n${STAMP}`);
  });

  it("after awsFlag when there are no keys", () => {
    const text = "s3beat:\n   awsFlag: true\n   region: us-east-1\n";
    expect(migrate(text)).toBe(`s3beat:\n   awsFlag: true\n${ADDED_BLOCK("   ", undefined)}   region: us-east-1\n${STAMP}`);
  });

  it("at the end of the section otherwise, before a comment that closes it", () => {
    const text = "s3beat:\n  sqsQueues: [q:us-east-1]\n  # more later\noutput.console:\n";
    expect(migrate(text)).toBe(`s3beat:\n  sqsQueues: [q:us-east-1]\n${ADDED_BLOCK("  ", undefined)}  # more later\noutput.console:\n${STAMP}`);
  });

  it("after a value that spans lines (block scalar, block list, empty value with a comment)", () => {
    expect(migrate("s3beat:\n  secretAccessKey: |-\n    abc\n\n  region: x\n")).toBe(
      `s3beat:\n  secretAccessKey: |-\n    abc\n${ADDED_BLOCK("  ", undefined)}\n  region: x\n${STAMP}`,
    );
    expect(migrate("s3beat:\n  awsFlag:\n    - odd\n  region: x\n")).toBe(
      `s3beat:\n  awsFlag:\n    - odd\n${ADDED_BLOCK("  ", undefined)}  region: x\n${STAMP}`,
    );
    expect(migrate("s3beat:\n  accessKeyID:    # set later\n  region: x\n")).toBe(
      `s3beat:\n  accessKeyID:    # set later\n${ADDED_BLOCK("  ", 18)}  region: x\n${STAMP}`,
    );
  });

  it("aligns comments with the column most of the section's keys use", () => {
    const text =
      "s3beat:\n  a: 1                          # one\n  awsFlag: false                # two\n  b: 2 # pushed\n  c: 3 # pushed\n  d: 4                          # three\n";
    expect(migrate(text)).toContain(`  awsFlag: false                # two\n${ADDED_BLOCK("  ", 32)}  b: 2`);
  });

  it("in the dotted form when the anchor is dotted, and in the section for the rest", () => {
    const text = "s3beat:\n  sqsQueues: [q:us-east-1]\ns3beat.secretAccessKey: ${S}\ns3beat.accessKeyID: ${A}\n";
    const out = migrate(text);
    expect(out).toContain(`s3beat.secretAccessKey: \${S}\n${ADDED_BLOCK("s3beat.", undefined)}s3beat.accessKeyID`);
  });

  it("adds only the missing settings and leaves present ones as they are", () => {
    const text = "s3beat:\n  accessKeyID: x\n  sessionDuration: '4h'   # long\n  s3beat.roleSessionName: odd\n  externalId: ${EXT}\n";
    const out = migrate(text);
    expect(out).toBe(
      `s3beat:\n  accessKeyID: x\n${ADDED_BLOCK("  ", 26, ["sessionDuration", "externalId"])}  sessionDuration: '4h'   # long\n  s3beat.roleSessionName: odd\n  externalId: \${EXT}\n${STAMP}`,
    );
  });

  it("refuses a flow-style section it would have to add to, and names no s3beat section as a problem", () => {
    const flow = pending(planMigration("s3beat: {sqsQueues: [q:us-east-1], awsFlag: false}\n"));
    expect(flow.problems).toEqual([expect.objectContaining({ path: "s3beat", line: 1, message: expect.stringContaining("{…} flow mapping") })]);
    const none = pending(planMigration("output.console:\nlogging.level: info\n"));
    expect(none.problems).toEqual([expect.objectContaining({ path: "s3beat", message: expect.stringContaining("is it an s3beat config?") })]);
  });
});

describe("migration 001: legacy names", () => {
  it("renames quoted and dotted keys, keeping value, comments and comment column", () => {
    expect(migrate('s3beat:\n  awsFlag: true\n  "assumeRoleArn": [a]        # roles\n')).toContain('  "roleArn": [a]              # roles\n');
    expect(migrate("s3beat.awsFlag: true\ns3beat.stsCredsExpirationTime: 90m   # x\n")).toContain("s3beat.sessionDuration: 90m          # x\n");
  });

  it("keeps at least one space before a comment when a longer name eats the gap", () => {
    // Today's renames all shorten the key; a future one may not.
    const parsed = parseSource("a:\n  roleArn: [] # x\n");
    if (!parsed.ok) throw new Error("parse");
    const pair = (parsed.source.top.items[0]!.value as YAMLMap).items[0] as Pair<Scalar, unknown>;
    const ctx = { text: parsed.source.text, comments: commentOffsets(parsed.source.text) };
    expect(applyEdits(ctx.text, renameKey(ctx, pair, "roleArn", "roleArnList"))).toBe("a:\n  roleArnList: [] # x\n");
    expect(applyEdits(ctx.text, renameKey(ctx, pair, "roleArn", "r"))).toBe("a:\n  r: []       # x\n");
  });

  it("rewrites a key spelt with escapes plainly", () => {
    expect(migrate('s3beat:\n  awsFlag: true\n  "assume\\u0052oleArn": []\n')).toContain("  roleArn: []\n");
    expect(migrate('s3beat.awsFlag: true\n"s3beat.assume\\u0052oleArn": []\n')).toContain("\ns3beat.roleArn: []\n");
  });

  it("keeps both and reports a problem when the old and the new name are set", () => {
    const text = "s3beat:\n  awsFlag: true\n  roleArn: [b]\n  assumeRoleArn: [a]\n";
    const plan = pending(planMigration(text));
    expect(plan.problems).toEqual([
      {
        path: "s3beat.assumeRoleArn",
        line: 4,
        column: 3,
        message: "is LogRhythm's older name of roleArn, which is also set (line 3): delete the one that is wrong, then run migrate-config again",
      },
    ]);
    expect(plan.text).toContain("  roleArn: [b]\n  assumeRoleArn: [a]\n");
  });

  it("reports the dotted form of a clash too", () => {
    const plan = pending(planMigration("s3beat:\n  sessionDuration: 1h\ns3beat.stsCredsExpirationTime: 2h\n"));
    expect(plan.problems.map((p) => [p.path, p.line])).toEqual([["s3beat.stsCredsExpirationTime", 3]]);
  });

  it("describes every change with its line", () => {
    const plan = pending(planMigration("s3beat:\n  accessKeyID: x\n  assumeRoleArn: []\n"));
    expect(plan.steps).toEqual([
      {
        version: 1,
        description: m001.description,
        changes: [
          "renamed assumeRoleArn → roleArn on line 3 (value and comments kept)",
          'added assumeRoleFlag: false, sessionDuration: 1h, roleSessionName: s3beat, externalId: "", disableAuthRetry: false (after accessKeyID on line 2)',
        ],
      },
    ]);
    expect(plan.stamp).toBe("added configVersion: 1 at the end of the file");
  });

  it("is pure: the same input gives the same edits, and the document is not modified", () => {
    const parsed = parseSource("s3beat:\n  accessKeyID: x\n  assumeRoleArn: []\n");
    if (!parsed.ok) throw new Error("parse");
    const before = parsed.source.doc.toString();
    const a = m001.migrate({ doc: parsed.source.doc, text: parsed.source.text });
    const b = m001.migrate({ doc: parsed.source.doc, text: parsed.source.text });
    expect(a).toEqual(b);
    expect(parsed.source.doc.toString()).toBe(before);
  });
});

describe("the version stamp", () => {
  it("replaces an existing value in place", () => {
    expect(migrate("configVersion: 0   # keep me\ns3beat:\n  awsFlag: true\n")).toMatch(/^configVersion: 1 {3}# keep me\n/);
    expect(migrate('configVersion: "0"\ns3beat:\n  awsFlag: true\n')).toMatch(/^configVersion: 1\n/);
    expect(migrate("configVersion:\ns3beat:\n  awsFlag: true\n")).toMatch(/^configVersion: 1\n/);
  });

  it("goes at the end, after a blank line, keeping a missing final newline missing", () => {
    expect(migrate("s3beat:\n  awsFlag: true")).toBe(`s3beat:\n  awsFlag: true\n${ADDED_BLOCK("  ", undefined).slice(0, -1)}\n${STAMP.slice(0, -1)}`);
    // A file that already ends with a blank line gets no second one.
    const out = migrate("s3beat:\n  awsFlag: true\n\n");
    expect(out).toMatch(/answer\n\n# Schema version[^\n]*\nconfigVersion: 1\n$/);
    expect(out).not.toContain("\n\n\n");
  });

  it("goes before a document end marker", () => {
    expect(migrate("s3beat:\n  awsFlag: true\n...\n")).toMatch(/\n# Schema version[^\n]*\nconfigVersion: 1\n\.\.\.\n$/);
  });

  it("uses CRLF in a CRLF file", () => {
    const out = migrate("s3beat:\r\n  awsFlag: true\r\n");
    expect(out.replaceAll("\r\n", "")).not.toContain("\n");
    expect(out).toMatch(/\r\nconfigVersion: 1\r\n$/);
  });
});

describe("the runner", () => {
  /** A migration that prepends a comment line, so that which ones ran, and in what order, shows. */
  const fake = (version: number): Migration => ({
    version,
    description: `fake ${version}`,
    migrate: () => ({ edits: [{ start: 0, end: 0, text: `# m${version}\n` }], changes: [`m${version}`], problems: [] }),
  });

  it("lists the migrations in order, numbered from 1, and exposes the last version", () => {
    expect(() => checkMigrationList(MIGRATIONS)).not.toThrow();
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(CURRENT_CONFIG_VERSION).toBe(MIGRATIONS.at(-1)!.version);
    expect(CURRENT_CONFIG_VERSION).toBe(1);
  });

  it("refuses a list with a gap or a swap", () => {
    expect(() => checkMigrationList([fake(1), fake(3)])).toThrow(/entry 2 has version 3/);
    expect(() => checkMigrationList([fake(2), fake(1)])).toThrow(/entry 1 has version 2/);
  });

  it("applies only the pending migrations, in order, and stamps the last version", () => {
    const plan = pending(planMigration("configVersion: 1\ns3beat: {}\n", [fake(1), fake(2), fake(3)]));
    expect(plan.text).toBe("# m3\n# m2\nconfigVersion: 3\ns3beat: {}\n");
    expect([plan.from, plan.to, plan.steps.map((s) => s.version)]).toEqual([1, 3, [2, 3]]);
    expect(plan.stamp).toBe("configVersion: 1 changed to 3");
  });

  it("throws on overlapping edits instead of writing a mangled file", () => {
    expect(() =>
      applyEdits("abcdef", [
        { start: 1, end: 4, text: "x" },
        { start: 3, end: 5, text: "y" },
      ]),
    ).toThrow(/overlapping/);
    expect(
      applyEdits("abc", [
        { start: 1, end: 1, text: "1" },
        { start: 1, end: 1, text: "2" },
      ]),
    ).toBe("a12bc");
  });
});

describe("migration 001: the summary says what changed in this file only", () => {
  const changes = (text: string) => pending(planMigration(text)).steps.flatMap((s) => s.changes);

  it("names no rename for a file without the legacy keys, and lists only the settings it added", () => {
    expect(m001.description).not.toMatch(/assumeRoleArn|stsCredsExpirationTime|renamed/);
    expect(changes("s3beat:\n  secretAccessKey: ${S}\n  roleArn: []\n  sessionDuration: 2h\n")).toEqual([
      'added assumeRoleFlag: false, roleSessionName: s3beat, externalId: "", disableAuthRetry: false (after secretAccessKey on line 2)',
    ]);
  });

  it("writes the dotted form as the file does, and says where it added at the end of the section", () => {
    expect(changes("s3beat.awsFlag: true\ns3beat.stsCredsExpirationTime: 2h\n")).toEqual([
      "renamed s3beat.stsCredsExpirationTime → s3beat.sessionDuration on line 2 (value and comments kept)",
      'added s3beat.assumeRoleFlag: false, s3beat.roleArn: [], s3beat.roleSessionName: s3beat, s3beat.externalId: "", s3beat.disableAuthRetry: false (after s3beat.awsFlag on line 1)',
    ]);
    expect(changes("s3beat:\n  region: us-east-1\n")).toEqual([
      'added assumeRoleFlag: false, roleArn: [], sessionDuration: 1h, roleSessionName: s3beat, externalId: "", disableAuthRetry: false (at the end of the s3beat settings)',
    ]);
  });
});

describe("migration 001: comments that name a renamed key", () => {
  it("are updated on the renamed line and on the comment lines right above it, nowhere else", () => {
    const text = [
      "# assumeRoleArn is documented below", // not right above: a blank line parts it
      "s3beat:",
      "  awsFlag: true",
      "",
      "  # Cross-account access (older key names)",
      "  # assumeRoleArn: one role per queue; stsCredsExpirationTime: their session",
      "  assumeRoleArn: []   # assumeRoleArn: ARNs, in queue order",
      "  stsCredsExpirationTime: 2h",
      "  # stsCredsExpirationTime above, in seconds or a duration", // below, not above
      "  roleSessionName: x",
      "",
    ].join("\n");
    const plan = pending(planMigration(text));
    expect(plan.text).toMatch(/^# assumeRoleArn is documented below\ns3beat:\n {2}awsFlag: true\n/);
    expect(plan.text).toContain(
      [
        "",
        "  # Cross-account access",
        "  # roleArn: one role per queue; sessionDuration: their session",
        "  roleArn: []         # roleArn: ARNs, in queue order",
        "  sessionDuration: 2h",
        "  # stsCredsExpirationTime above, in seconds or a duration",
        "  roleSessionName: x",
      ].join("\n"),
    );
    expect(plan.steps[0]!.changes.filter((c) => c.startsWith("updated"))).toEqual([
      'updated the comment on line 5: dropped "(older key names)"',
      "updated the comment on line 6: assumeRoleArn → roleArn, stsCredsExpirationTime → sessionDuration",
      "updated the comment on line 7: assumeRoleArn → roleArn",
    ]);
  });

  it("leave a comment that names no old key as it is, and keep CRLF", () => {
    const plan = pending(planMigration("s3beat:\r\n  # the roles\r\n  assumeRoleArn: [] # roles\r\n"));
    expect(plan.text).toContain("  # the roles\r\n  roleArn: []       # roles\r\n");
    expect(plan.steps[0]!.changes.filter((c) => c.startsWith("updated"))).toEqual([]);
  });
});
