/**
 * `s3beat check` against each way an AWS setup goes wrong: the real CLI, the real SDK, fauxqs
 * behind the auth-checking proxy and the project's STS endpoint. Each row names the line that must
 * appear and the words it must contain (the cause and the fix); every row also checks the promises
 * of the report: each FAILED line carries a fix, each skipped line a reason, the closing line adds up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthProxy, type AuthProxy } from "../support/authProxy.ts";
import { createBucket, createQueue, putObject, startTestAws, tempDir, writeConfig, type TestAws } from "../support/aws.ts";
import { spawnS3beat } from "../support/child.ts";
import { startStsFake, type StsFake } from "../support/sts.ts";

const ACCOUNT = "111111111111";
const BASE = { accessKeyId: "AKIACHECKBASE0000TST", secretAccessKey: "check/Secret+Key0123456789abcdefghijklmn", arn: "arn:aws:iam::222222222222:user/s3beat" };
// A user whose own IAM policy allows sts:AssumeRole on other roles only.
const LIMITED = {
  accessKeyId: "AKIACHECKLIMITED0TST",
  secretAccessKey: "limited/Secret+Key0123456789abcdefghijk",
  arn: "arn:aws:iam::222222222222:user/limited",
};
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const READER = role("s3beat-reader");
const NO_GET = role("s3beat-no-getobject");
const NO_LIST = role("s3beat-no-listbucket");
const WRITER = role("s3beat-writer");
const EXTERNAL_ID = "ext-0c41d7e2";

interface Row {
  name: string;
  roleArn?: string;
  queues?: string[];
  /** Changes to the s3beat section, e.g. another externalId. */
  edit?: (yaml: string) => string;
  args?: string[];
  /** Runs before the CLI; returns what undoes it. */
  arrange?: () => () => void;
  exit: number;
  /** Each pattern must match a whole line of the output. */
  lines: RegExp[];
  /** For the line matched by lines[0]: words it must contain, in this order. */
  inOrder?: string[];
}

const Q = "queue-a";

describe("s3beat check: every failure names its cause and its fix", () => {
  let aws: TestAws;
  let sts: StsFake;
  let proxy: AuthProxy;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const outputs: string[] = [];

  beforeAll(async () => {
    aws = await startTestAws();
    sts = await startStsFake({ account: ACCOUNT });
    proxy = await startAuthProxy({ upstream: aws.endpoint, sts, account: ACCOUNT });
    dir = await tempDir();
    sts.addUser(BASE);
    sts.addUser({ ...LIMITED, assumableRoleArns: [role("other-*")] });
    for (const r of [READER, NO_GET, NO_LIST, WRITER]) sts.addRole({ arn: r, trustedUserArns: [BASE.arn, LIMITED.arn], externalId: EXTERNAL_ID });
    const sqs = { actions: ["sqs:*"], resources: ["queue-*", "no-such-queue"] };
    proxy.allow(READER, [sqs, { actions: ["s3:ListBucket"], resources: ["*"] }, { actions: ["s3:GetObject"], resources: ["*/*"] }]);
    proxy.allow(NO_GET, [sqs, { actions: ["s3:ListBucket"], resources: ["logs"] }]);
    proxy.allow(NO_LIST, [sqs, { actions: ["s3:GetObject"], resources: ["logs/*"] }]);
    proxy.allow(WRITER, [sqs, { actions: ["s3:*"], resources: ["logs", "logs/*"] }]);
    // What a corporate proxy or firewall does: an HTML page instead of AWS's answer.
    proxy.answerHtml({ status: 403, resources: ["html-bucket/*", "blocked-bucket", "queue-html"] });
    proxy.answerHtml({ status: 502, resources: ["queue-gateway"] });
    for (const b of ["logs", "html-bucket", "blocked-bucket"]) {
      await createBucket(aws, b);
      await putObject(aws, b, "AWSLogs/sample.log", "a line\n");
    }
    for (const q of [Q, "queue-html", "queue-gateway"]) await createQueue(aws, q);
  });
  afterAll(async () => {
    await proxy?.stop();
    await sts?.stop();
    await aws?.stop();
    await dir?.remove();
  });

  function yaml(roleArn: string, queues: string[]): string {
    return [
      "s3beat:",
      `  sqsQueues: [${queues.map((q) => `"${q}:us-east-1"`).join(", ")}]`,
      `  accessKeyID: ${BASE.accessKeyId}`,
      `  secretAccessKey: "${BASE.secretAccessKey}"`,
      "  assumeRoleFlag: true",
      `  roleArn: ["${roleArn}"]`,
      `  externalId: ${EXTERNAL_ID}`,
      `  endpoints: { sqs: "${proxy.endpoint}", s3: "${proxy.endpoint}", sts: "${sts.endpoint}" }`,
      `output.file: { path: ${dir.path}/out }`,
      "logging.metrics.period: 0",
      "",
    ].join("\n");
  }

  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const R = esc(READER);
  const notAssumed = "because the role could not be assumed";
  const ASSUME_CAUSES = ["role ARN is mistyped or the role does not exist", `lacks "sts:AssumeRole" on`, "trust policy does not name", "Fix:"];

  const rows: Row[] = [
    {
      name: "wrong role ARN / nonexistent role",
      roleArn: role("s3beat-raeder"),
      args: ["--bucket", "logs"],
      exit: 1,
      lines: [
        /^FAILED +sts:AssumeRole arn:aws:iam::111111111111:role\/s3beat-raeder — .*AccessDenied.* Fix: compare roleArn with the role's ARN in IAM/,
        new RegExp(`^skipped +sqs:GetQueueUrl, sqs:GetQueueAttributes queue-a — ${notAssumed} \\(arn:aws:iam::111111111111:role/s3beat-raeder`),
        new RegExp(`^skipped +s3:HeadBucket, s3:ListObjectsV2, s3:GetObject logs as arn:aws:iam::111111111111:role/s3beat-raeder — ${notAssumed}`),
      ],
      inOrder: [...ASSUME_CAUSES.slice(0, 3), "the configured externalId does not match", ...ASSUME_CAUSES.slice(3)],
    },
    {
      name: "base user without sts:AssumeRole on the role",
      edit: (y) => y.replace(BASE.accessKeyId, LIMITED.accessKeyId).replace(BASE.secretAccessKey, LIMITED.secretAccessKey),
      exit: 1,
      lines: [
        new RegExp(
          `^FAILED +sts:AssumeRole ${R} — .*\\(2\\) the base user's own IAM policy lacks "sts:AssumeRole" on "${R}".*the base user \\(arn:aws:iam::222222222222:user/limited\\).* Fix: .*allow "sts:AssumeRole" on "${R}" in the base user's policy`,
        ),
        new RegExp(`^skipped +sqs:GetQueueUrl, sqs:GetQueueAttributes queue-a — ${notAssumed}`),
        /^skipped +s3:HeadBucket, s3:ListObjectsV2, s3:GetObject — no --bucket given/,
      ],
      inOrder: ASSUME_CAUSES,
    },
    {
      name: "wrong ExternalId",
      edit: (y) => y.replace(`externalId: ${EXTERNAL_ID}`, "externalId: not-the-right-one"),
      exit: 1,
      lines: [
        new RegExp(
          `^FAILED +sts:AssumeRole ${R} — .*\\(4\\) the configured externalId does not match the sts:ExternalId condition of the role's trust policy.* Fix: .*check the role's trust policy principal.*make externalId equal the trust policy's sts:ExternalId value`,
        ),
      ],
      inOrder: [...ASSUME_CAUSES.slice(0, 3), "externalId does not match"],
    },
    {
      name: "no externalId while the trust policy requires one",
      edit: (y) => y.replace(`externalId: ${EXTERNAL_ID}`, 'externalId: ""'),
      exit: 1,
      lines: [
        /^FAILED +sts:AssumeRole .*\(4\) the role's trust policy may require an ExternalId .*and externalId is not set.* Fix: .*set externalId to its value/,
      ],
    },
    {
      name: "STS answered 403 with an HTML page",
      arrange: () => {
        sts.htmlAnswerStatus = 403;
        return () => (sts.htmlAnswerStatus = undefined);
      },
      exit: 1,
      lines: [new RegExp(`^FAILED +sts:AssumeRole ${R} — AccessDenied on sts:AssumeRole ${R} \\(HTTP 403, unparsable body.* Fix: compare roleArn`)],
      inOrder: ASSUME_CAUSES,
    },
    {
      name: "missing bucket (HeadBucket 404)",
      args: ["--bucket", "no-such-bucket"],
      exit: 1,
      lines: [
        new RegExp(
          `^FAILED +s3:HeadBucket no-such-bucket as ${R} — .*bucket "no-such-bucket" does not exist\\. Fix: check the bucket name, and that the bucket is in the account and region you expect`,
        ),
        new RegExp(`^skipped +s3:ListObjectsV2, s3:GetObject no-such-bucket as ${R} — because s3:HeadBucket failed`),
      ],
    },
    {
      name: "HeadBucket 403 (no s3:ListBucket)",
      roleArn: NO_LIST,
      args: ["--bucket", "logs"],
      exit: 1,
      lines: [
        /^FAILED +s3:HeadBucket logs as \S+ — HeadBucket on arn:aws:s3:::logs failed \(AccessDenied\): role \S+ is not allowed to s3:ListBucket \(the permission s3:HeadBucket needs\) on arn:aws:s3:::logs\. Fix: allow "s3:ListBucket" on "arn:aws:s3:::logs" in the policy of role/,
      ],
    },
    {
      name: "role without s3:GetObject",
      roleArn: NO_GET,
      args: ["--bucket", "logs"],
      exit: 1,
      lines: [
        /^ok +s3:ListObjectsV2 logs as \S+ — sample key AWSLogs\/sample\.log/,
        /^FAILED +s3:GetObject s3:\/\/logs\/AWSLogs\/sample\.log as \S+ — GetObject on arn:aws:s3:::logs\/AWSLogs\/sample\.log failed \(AccessDenied\): role \S+ is not allowed to s3:GetObject .* Fix: allow "s3:GetObject" on "arn:aws:s3:::logs\/AWSLogs\/sample\.log" in the policy of role/,
      ],
    },
    {
      name: "S3 object answered 403 with an HTML page",
      args: ["--bucket", "html-bucket"],
      exit: 1,
      lines: [
        new RegExp(
          `^FAILED +s3:GetObject s3://html-bucket/AWSLogs/sample\\.log as ${R} — .*AccessDenied on s3:GetObject arn:aws:s3:::html-bucket/AWSLogs/sample\\.log \\(HTTP 403, unparsable body\\).* Fix: allow "s3:GetObject" on "arn:aws:s3:::html-bucket/AWSLogs/sample\\.log" in the policy of role`,
        ),
      ],
    },
    {
      name: "HeadBucket answered 403 by a proxy (a page, no XML)",
      args: ["--bucket", "blocked-bucket"],
      exit: 1,
      lines: [
        /^FAILED +s3:HeadBucket blocked-bucket as \S+ — .*AccessDenied on s3:ListBucket arn:aws:s3:::blocked-bucket \(HTTP 403, unparsable body\).* Fix: allow "s3:ListBucket" on "arn:aws:s3:::blocked-bucket"/,
      ],
    },
    {
      name: "SQS answered 403 with an HTML page (the SDK's SyntaxError)",
      queues: ["queue-html"],
      exit: 1,
      lines: [
        /^FAILED +sqs:GetQueueUrl queue-html — .*AccessDenied on sqs:GetQueueUrl arn:aws:sqs:us-east-1:\*:queue-html \(HTTP 403, unparsable body\).* Fix: allow "sqs:GetQueueUrl" on "arn:aws:sqs:us-east-1:\*:queue-html" in the policy of role/,
        /^skipped +sqs:GetQueueAttributes queue-html — because sqs:GetQueueUrl failed/,
      ],
    },
    {
      name: "SQS answered 502 with an HTML page",
      queues: ["queue-gateway"],
      exit: 1,
      lines: [
        /^FAILED +sqs:GetQueueUrl queue-gateway — GetQueueUrl failed with HTTP 502 \(the answer was not AWS's XML\/JSON: a proxy or a wrong endpoint\?\) for arn:aws:sqs:us-east-1:\*:queue-gateway\. Fix: check endpoints\.sqs .*proxy or firewall/,
      ],
    },
    {
      name: "missing queue",
      queues: ["no-such-queue"],
      exit: 1,
      lines: [
        /^FAILED +sqs:GetQueueUrl no-such-queue — .*queue "no-such-queue" does not exist in us-east-1.* Fix: check the queue name and region in sqsQueues/,
      ],
    },
    {
      name: "--write without s3:PutObject",
      args: ["--bucket", "logs", "--write"],
      exit: 1,
      lines: [
        /^ok +s3:GetObject s3:\/\/logs\/AWSLogs\/sample\.log/,
        /^FAILED +s3:PutObject s3:\/\/logs\/s3beat-check\/\S+ as \S+ — .*not allowed to s3:PutObject.* Fix: allow "s3:PutObject"/,
        /^skipped +s3:CopyObject, s3:GetObject \(read back\), presigned GET, s3:DeleteObject s3:\/\/logs\/s3beat-check\/ as \S+ — because s3:PutObject failed/,
      ],
    },
    {
      name: "a correct setup, with --write",
      roleArn: WRITER,
      args: ["--bucket", "logs", "--write"],
      exit: 0,
      lines: [/^ok +sts:AssumeRole /, /^ok +s3:CopyObject /, /^ok +presigned GET /, /^ok +s3:DeleteObject .*-copy\.txt/, /^all checks passed$/],
    },
  ];

  it.each(rows)("$name", async (row) => {
    const undo = row.arrange?.();
    let code: number | null;
    let out: string;
    try {
      const text = (row.edit ?? ((y: string) => y))(yaml(row.roleArn ?? READER, row.queues ?? [Q]));
      const cfg = await writeConfig(dir.path, text, `${row.name.replace(/\W+/g, "-")}.yml`);
      // The sources under test, never a build that an edit elsewhere may have left behind.
      const child = spawnS3beat(["check", "-c", cfg, ...(row.args ?? [])], { S3BEAT_FROM_SOURCE: "1" });
      ({ code } = await child.exited);
      out = child.stdout();
      outputs.push(out, child.stderr());
    } finally {
      undo?.();
    }
    const lines = out.split("\n").filter((l) => l !== "");
    for (const re of row.lines)
      expect(
        lines.some((l) => re.test(l)),
        `no line matches ${re}\n${out}`,
      ).toBe(true);
    if (row.inOrder) {
      const line = lines.find((l) => row.lines[0]!.test(l))!;
      const at = row.inOrder.map((w) => line.indexOf(w));
      expect(
        at.every((i) => i >= 0),
        `${JSON.stringify(row.inOrder)} in ${line}`,
      ).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
    }

    // The report's promises, whatever the row.
    const failed = lines.filter((l) => l.startsWith("FAILED"));
    const skipped = lines.filter((l) => l.startsWith("skipped"));
    for (const l of failed) expect(l, "a FAILED line without a fix").toMatch(/^FAILED +\S.* — \S.* Fix: \S.{10,}/);
    for (const l of skipped) expect(l, "a skipped line without a reason").toMatch(/^skipped +\S.* — \S.{10,}/);
    expect(lines.slice(1).join("\n")).not.toMatch(/SyntaxError|Unexpected token|UnknownError|Deserialization error|\$response/);
    const last = lines.at(-1)!;
    if (failed.length > 0) expect(last).toMatch(new RegExp(`^${failed.length} checks? FAILED: see the fix on each FAILED line`));
    else expect(last).toMatch(/^all checks passed/);
    if (skipped.length > 0) expect(last).toContain(`${skipped.length} skipped (the reason is on each skipped line)`);
    expect(code).toBe(row.exit);
  });

  it("no secret appears in any output", () => {
    const text = outputs.join("\n");
    expect(text).toContain("FAILED");
    for (const s of [BASE.secretAccessKey, LIMITED.secretAccessKey]) expect(text.includes(s)).toBe(false);
  });
});
