import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.ts";
import { BIN, spawnS3beat } from "../support/child.ts";
import { KEY, ptyAvailable, spawnPty, type Pty } from "../support/pty.ts";
import { getTestCerts } from "../support/tlsCerts.ts";

const ARN = "arn:aws:iam::123456789012:role/s3beat-reader";
const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ROLE_QUESTIONS = ["Role ARN", "External ID", "Role session name", "Session duration"];
// Keep credentials of the machine running the tests out of the child, and npx's marker (vitest may
// run under npx): the next steps are then spelt `node <abs>/bin/s3beat.js`.
const CLEAN_ENV = { S3BEAT_ACCESS_KEY_ID: undefined, S3BEAT_SECRET_ACCESS_KEY: undefined, npm_command: undefined };
// How the children below are started (from this process's directory): the next steps say it back.
const CHILD_BIN = relative(process.cwd(), BIN).startsWith("..") ? BIN : relative(process.cwd(), BIN);
const TLS_QUESTION = "Connect to the collector with TLS? (y/N)";
const CA_QUESTION = "CA certificate file (PEM) that issued the collector's certificate (system: the system's CAs):";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "s3beat-setup-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;

/** Runs `s3beat setup -c FILE` on a terminal, answering with `answer`; returns the screen and exit code. */
async function interactive(file: string, answer: (p: Pty) => Promise<void>) {
  const p = spawnPty(["setup", "-c", file], { cwd: dir, env: CLEAN_ENV });
  try {
    await answer(p);
    await p.expect(`Wrote ${file} (mode 0600).`);
    return { code: await p.exited, screen: p.screen() };
  } finally {
    p.kill();
  }
}

// Scenario 1: access keys typed in, N to the role. Memoised: the byte-identity test reuses its file.
let noRoleRun: Promise<{ code: number | null; screen: string; file: string }> | undefined;
const runWithoutRole = () =>
  (noRoleRun ??= (async () => {
    const file = join(dir, "no-role.yml");
    const r = await interactive(file, async (p) => {
      await p.expect('SQS queue(s), comma-separated "name:region" or queue URLs:');
      p.send("prod-events:us-east-1");
      await p.expect("AWS credentials:");
      p.keys(KEY.enter); // the default: access keys
      await p.expect("✔ AWS credentials: access keys");
      await p.expect("Access key ID (empty: read S3BEAT_ACCESS_KEY_ID from the environment):");
      p.send(ACCESS_KEY_ID);
      await p.expect("Secret access key (empty: read S3BEAT_SECRET_ACCESS_KEY from the environment):");
      p.send(SECRET);
      await p.expect("Assume an IAM role (STS AssumeRole, cross-account)? (y/N)");
      p.keys(KEY.enter); // the default: N
      await p.expect("✔ Assume an IAM role (STS AssumeRole, cross-account)? No");
      await p.expect("Output:");
      p.keys(KEY.enter); // the default: console
    });
    return { ...r, file };
  })());

// Scenario 2: inside AWS, y to the role, with invalid answers on the way. Memoised likewise.
let roleRun: Promise<{ code: number | null; screen: string; file: string; outDir: string }> | undefined;
const runWithRole = () =>
  (roleRun ??= (async () => {
    const file = join(dir, "role.yml");
    const outDir = join(dir, "events");
    const r = await interactive(file, async (p) => {
      await p.expect("SQS queue(s)");
      p.send("audit-events:eu-west-1");
      await p.expect("AWS credentials:");
      p.keys(KEY.up + KEY.enter);
      await p.expect("✔ AWS credentials: inside AWS (default credential chain)");
      await p.expect("Assume an IAM role (STS AssumeRole, cross-account)? (y/N)");
      p.send("y");
      await p.expect("Role ARN(s), comma-separated (one for all queues, or one per queue in order):");
      p.send("arn:aws:iam::12345:role/s3beat-reader");
      await p.expect("expected a role ARN like arn:aws:iam::123456789012:role/s3beat-reader");
      p.keys(KEY.clearLine);
      p.send(ARN);
      await p.expect(`✔ Role ARN(s), comma-separated (one for all queues, or one per queue in order): ${ARN}`);
      await p.expect("External ID the role's trust policy demands (empty: none):");
      p.send("ext-42");
      await p.expect("Role session name (shows in CloudTrail): (s3beat)");
      p.send("ingest-eu");
      await p.expect("Session duration (15m to 12h, at most the role's MaxSessionDuration): (1h)");
      p.send("10m");
      await p.expect("must be between 15m and 12h, got 10m");
      p.keys(KEY.clearLine);
      p.send("2h");
      await p.expect("✔ Session duration (15m to 12h, at most the role's MaxSessionDuration): 2h");
      await p.expect("Output:");
      p.keys(KEY.down + KEY.enter);
      await p.expect("✔ Output: file (JSON lines in rotated files)");
      await p.expect("Directory for the output files (created if missing):");
      p.send(outDir);
    });
    return { ...r, file, outDir };
  })());

/** Answers up to the output question: one queue, inside AWS or access keys from the environment, no role. */
async function answerUpToOutput(p: Pty, keysFromEnv: boolean) {
  await p.expect("SQS queue(s)");
  p.send("tls-events:us-east-1");
  await p.expect("AWS credentials:");
  p.keys(keysFromEnv ? KEY.enter : KEY.up + KEY.enter);
  if (keysFromEnv) {
    for (const q of ["Access key ID", "Secret access key"]) {
      await p.expect(q);
      p.keys(KEY.enter); // empty: ${VAR} from the environment
    }
  }
  await p.expect("Assume an IAM role");
  p.keys(KEY.enter);
  await p.expect("Output:");
  p.keys(KEY.down + KEY.down + KEY.enter);
  await p.expect("✔ Output: logstash");
  await p.expect("Collector host(s)");
  p.send("opencollector:5044");
}

describe.skipIf(!ptyAvailable)("s3beat setup on a terminal: TLS to the collector", () => {
  it("y: a CA path that does not exist and a non-CA certificate are re-asked with their reasons; the file loads with ssl", async () => {
    const certs = getTestCerts();
    const ca = join(certs.dir, "ca.pem");
    const leaf = join(certs.dir, "server.pem");
    const missing = join(dir, "no-such-ca.pem");
    const file = join(dir, "tls.yml");
    const { code, screen } = await interactive(file, async (p) => {
      await answerUpToOutput(p, false);
      await p.expect(TLS_QUESTION);
      p.send("y");
      await p.expect(CA_QUESTION);
      p.send(missing);
      await p.expect(`${missing}: no such file`);
      p.keys(KEY.clearLine);
      p.send(leaf);
      await p.expect(`${leaf} is the certificate of CN=127.0.0.1, issued by CN=s3beat test CA, not a CA`);
      p.keys(KEY.clearLine);
      p.send(ca);
      await p.expect(`✔ ${CA_QUESTION} ${ca}`);
      await p.expect("Check of the collector's certificate:");
      p.keys(KEY.enter); // the default: full
      await p.expect("✔ Check of the collector's certificate: full");
    });
    expect(code).toBe(0);
    expect(screen).not.toContain("export "); // inside AWS: the file reads no variable
    const text = await readFile(file, "utf8");
    expect(text).toContain(`certificate_authorities: [${JSON.stringify(ca)}]`);
    expect(text).not.toMatch(/^\s+verification_mode:/m);
    const { settings, warnings } = await loadConfigFile(file, {});
    expect(warnings).toEqual([]);
    expect(settings.output).toMatchObject({ kind: "logstash", ssl: { certificateAuthorities: [ca], verificationMode: "full" } });
  });

  it("N: no CA question, no ssl; the closing lines export only the variable that is not set, then the commands", async () => {
    const file = join(dir, "no-tls.yml");
    const p = spawnPty(["setup", "-c", file], { cwd: dir, env: { ...CLEAN_ENV, S3BEAT_ACCESS_KEY_ID: ACCESS_KEY_ID } });
    try {
      await answerUpToOutput(p, true);
      await p.expect(TLS_QUESTION);
      p.keys(KEY.enter);
      await p.expect(`✔ ${TLS_QUESTION.replace(" (y/N)", "")} No`);
      await p.expect(`Wrote ${file} (mode 0600).`);
      const node = `node ${BIN}`;
      await p.expect(`${file} reads S3BEAT_SECRET_ACCESS_KEY from the environment, not set here.`);
      await p.expect(
        [
          "Set it in the shell that starts s3beat (replace ... with the value), then run:",
          "  export S3BEAT_SECRET_ACCESS_KEY=...",
          `  ${node} validate -c ${file}`,
          `  ${node} check -c ${file}`,
          `  ${node} run -c ${file}`,
        ].join("\r\n"),
      );
      expect(await p.exited).toBe(0);
      expect(p.screen()).not.toContain(CA_QUESTION);
      expect(p.screen()).not.toContain("export S3BEAT_ACCESS_KEY_ID");
    } finally {
      p.kill();
    }
    const { settings } = await loadConfigFile(file, { S3BEAT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BEAT_SECRET_ACCESS_KEY: SECRET });
    expect(settings.output.kind).toBe("logstash");
    expect(settings.output).not.toHaveProperty("ssl");
    expect(await readFile(file, "utf8")).not.toMatch(/^\s+ssl[.:]/m);
  });
});

describe.skipIf(!ptyAvailable)("s3beat setup on a terminal", () => {
  it("with assumeRoleFlag N shows no role, ARN or session question and writes a valid 0600 file", async () => {
    const { code, screen, file } = await runWithoutRole();
    expect(code).toBe(0);
    for (const q of ROLE_QUESTIONS) expect(screen, q).not.toContain(q);
    expect(screen).not.toContain(SECRET); // masked
    expect(screen).toContain("*".repeat(SECRET.length));
    expect(await mode(file)).toBe(0o600);
    const { settings } = await loadConfigFile(file, {});
    expect(settings.s3beat).toMatchObject({
      sqsQueues: ["prod-events:us-east-1"],
      awsFlag: false,
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET,
      assumeRoleFlag: false,
      roleArns: [],
    });
    expect(settings.output.kind).toBe("console");
  });

  it("with y re-asks an invalid ARN and a 10m duration with their reasons, and writes a valid 0600 file", async () => {
    const { code, screen, file, outDir } = await runWithRole();
    expect(code).toBe(0);
    // Each prompt was shown again after its invalid answer.
    expect(screen.split("> expected a role ARN").length - 1).toBeGreaterThanOrEqual(1);
    expect(screen).not.toContain("Access key ID"); // inside AWS: no key questions
    expect(await mode(file)).toBe(0o600);
    const { settings } = await loadConfigFile(file, {});
    expect(settings.s3beat).toMatchObject({
      sqsQueues: ["audit-events:eu-west-1"],
      region: "eu-west-1",
      awsFlag: true,
      assumeRoleFlag: true,
      roleArns: [ARN],
      externalId: "ext-42",
      roleSessionName: "ingest-eu",
      sessionDurationSeconds: 7200,
    });
    expect(settings.output).toMatchObject({ kind: "file", path: outDir });
  });

  it("does not overwrite an existing file when the confirmation is left at its default No", async () => {
    const file = join(dir, "existing.yml");
    await writeFile(file, "keep: me\n");
    await chmod(file, 0o644);
    const p = spawnPty(["setup", "-c", file], { cwd: dir });
    try {
      await p.expect(`${file} already exists. Overwrite it? (y/N)`);
      p.keys(KEY.enter);
      await p.expect(`Kept ${file}; nothing written.`);
      expect(await p.exited).toBe(0);
      expect(p.screen()).not.toContain("SQS queue");
    } finally {
      p.kill();
    }
    expect(await readFile(file, "utf8")).toBe("keep: me\n");
    expect(await mode(file)).toBe(0o644);
  });

  it("Ctrl-C at a question writes nothing and exits 1", async () => {
    const file = join(dir, "cancelled.yml");
    const p = spawnPty(["setup", "-c", file], { cwd: dir });
    try {
      await p.expect("SQS queue(s)");
      p.keys(KEY.ctrlC);
      await p.expect("s3beat setup: cancelled; nothing written");
      expect(await p.exited).toBe(1);
    } finally {
      p.kill();
    }
    expect(existsSync(file)).toBe(false);
  });

  it("`run` with a missing config on a terminal asks the questions first, then loads the written file", async () => {
    const file = join(dir, "first-run.yml");
    const p = spawnPty(["run", "-c", file], { cwd: dir, env: CLEAN_ENV });
    try {
      await p.expect(`s3beat: ${file} does not exist; answer the first-run questions to create it`);
      await p.expect("SQS queue(s)");
      p.send("first:us-east-1");
      for (const q of ["AWS credentials:", "Access key ID", "Secret access key", "Assume an IAM role", "Output:"]) {
        await p.expect(q);
        p.keys(KEY.enter); // defaults: access keys from the environment, N, console
      }
      await p.expect(`Wrote ${file} (mode 0600).`);
      // The run goes on with the new file: it loads it, and stops at the variables it references.
      await p.expect("environment variable S3BEAT_ACCESS_KEY_ID is not set");
      await p.expect(`  export S3BEAT_ACCESS_KEY_ID=...\r\n  export S3BEAT_SECRET_ACCESS_KEY=...\r\n  node ${BIN} run -c ${file}`);
      expect(await p.exited).toBe(2);
    } finally {
      p.kill();
    }
    expect(await mode(file)).toBe(0o600);
    await expect(loadConfigFile(file, { S3BEAT_ACCESS_KEY_ID: ACCESS_KEY_ID, S3BEAT_SECRET_ACCESS_KEY: SECRET })).resolves.toBeDefined();
  });
});

describe("s3beat setup --non-interactive", () => {
  it("exits 2 listing every missing answer, and writes nothing", async () => {
    const file = join(dir, "missing.yml");
    const c = spawnS3beat(["setup", "-c", file, "--non-interactive", "--set", "assumeRoleFlag=y", "--set", "output=file"]);
    expect((await c.exited).code).toBe(2);
    const err = c.stderr();
    expect(err).toContain("nothing written, 3 problems");
    expect(err).toContain("  - sqsQueues: missing — ");
    expect(err).toContain("  - roleArn: missing — ");
    expect(err).toContain("  - outputPath: missing — ");
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(!ptyAvailable)("with all answers (--set and environment) writes the same bytes as the terminal run", async () => {
    const role = await runWithRole();
    const file = join(dir, "role-non-interactive.yml");
    const c = spawnS3beat(
      [
        "setup",
        "-c",
        file,
        "--non-interactive",
        "--set",
        "sqsQueues=audit-events:eu-west-1",
        "--set",
        "awsFlag=true",
        "--set",
        "assumeRoleFlag=y",
        "--set",
        `roleArn=${ARN}`,
      ],
      {
        S3BEAT_SETUP_EXTERNAL_ID: "ext-42",
        S3BEAT_SETUP_ROLE_SESSION_NAME: "ingest-eu",
        S3BEAT_SETUP_SESSION_DURATION: "2h",
        S3BEAT_SETUP_OUTPUT: "file",
        S3BEAT_SETUP_OUTPUT_PATH: role.outDir,
      },
    );
    expect((await c.exited).code, c.stderr()).toBe(0);
    expect(await readFile(file, "utf8")).toBe(await readFile(role.file, "utf8"));
    expect(await mode(file)).toBe(0o600);

    // The access-key run too, with the secret coming from the environment (never on the command line).
    const keys = await runWithoutRole();
    const file2 = join(dir, "no-role-non-interactive.yml");
    const c2 = spawnS3beat(["setup", "-c", file2, "--non-interactive", "--set", "sqsQueues=prod-events:us-east-1", "--set", `accessKeyID=${ACCESS_KEY_ID}`], {
      S3BEAT_SETUP_SECRET_ACCESS_KEY: SECRET,
    });
    expect((await c2.exited).code, c2.stderr()).toBe(0);
    expect(await readFile(file2, "utf8")).toBe(await readFile(keys.file, "utf8"));
    expect(c2.stdout() + c2.stderr()).not.toContain(SECRET);
  });

  it("with TLS answers writes output.logstash.ssl; TLS y without a CA is listed as missing", async () => {
    const ca = join(getTestCerts().dir, "ca.pem");
    const args = (file: string) => [
      "setup",
      "-c",
      file,
      "--non-interactive",
      "--set",
      "sqsQueues=q:us-east-1",
      "--set",
      "awsFlag=true",
      "--set",
      "output=logstash",
      "--set",
      "outputHosts=oc",
    ];
    const missing = spawnS3beat([...args(join(dir, "tls-missing.yml")), "--set", "sslEnabled=y"]);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toContain(
      "  - sslCa: missing — CA certificate file (PEM) that issued the collector's certificate (system: the system's CAs) (--set sslCa=… or S3BEAT_SETUP_SSL_CA)",
    );
    expect(existsSync(join(dir, "tls-missing.yml"))).toBe(false);

    const file = join(dir, "tls-ni.yml");
    const c = spawnS3beat(args(file), { S3BEAT_SETUP_SSL_ENABLED: "y", S3BEAT_SETUP_SSL_CA: ca, S3BEAT_SETUP_SSL_VERIFICATION_MODE: "certificate" });
    expect((await c.exited).code, c.stderr()).toBe(0);
    const { settings } = await loadConfigFile(file, {});
    expect(settings.output).toMatchObject({ kind: "logstash", ssl: { certificateAuthorities: [ca], verificationMode: "certificate" } });
  });

  it("ends with the export lines for the unset variables; the printed `run` line, run as printed, exits 2 with the same lines", async () => {
    const file = join(dir, "exports.yml");
    const c = spawnS3beat(["setup", "-c", file, "--non-interactive", "--set", "sqsQueues=q:us-east-1"], CLEAN_ENV);
    expect((await c.exited).code, c.stderr()).toBe(0);
    const out = c.stdout();
    const exports = "  export S3BEAT_ACCESS_KEY_ID=...\n  export S3BEAT_SECRET_ACCESS_KEY=...\n";
    expect(out).toContain(exports);
    const runLine = out
      .split("\n")
      .find((l) => / run -c /.test(l))
      ?.trim();
    expect(runLine).toBe(`node ${CHILD_BIN} run -c ${file}`);

    // The line goes through a shell exactly as printed, with the variables still unset.
    const env = { ...process.env, ...CLEAN_ENV, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };
    const run = spawn("sh", ["-c", runLine!], { env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) });
    let err = "";
    run.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => run.on("exit", resolve));
    expect(code, err).toBe(2);
    expect(err).toContain(`s3beat: ${file} reads environment variables that are not set:\n`);
    expect(err).toMatch(new RegExp(`${file.replaceAll(".", "\\.")}:\\d+:\\d+ s3beat\\.accessKeyID: environment variable S3BEAT_ACCESS_KEY_ID is not set`));
    expect(err).toContain(`${exports}  ${runLine}\n`);
    expect(err).not.toMatch(/at \w+ \(|Error:/); // a message, not a stack trace

    // With the variables set, nothing is left to export: the closing lines are the commands only.
    const set = spawnS3beat(["setup", "-c", join(dir, "exports-set.yml"), "--non-interactive", "--set", "sqsQueues=q:us-east-1"], {
      ...CLEAN_ENV,
      S3BEAT_ACCESS_KEY_ID: ACCESS_KEY_ID,
      S3BEAT_SECRET_ACCESS_KEY: SECRET,
    });
    expect((await set.exited).code, set.stderr()).toBe(0);
    expect(set.stdout()).not.toContain("export S3BEAT");
    expect(set.stdout()).toContain(`Next:\n  node ${CHILD_BIN} validate -c `);
  });

  it("refuses to overwrite an existing file without --force, and with it replaces the file as 0600", async () => {
    const file = join(dir, "existing-ni.yml");
    await writeFile(file, "keep: me\n");
    await chmod(file, 0o644);
    const args = ["setup", "-c", file, "--non-interactive", "--set", "sqsQueues=q:us-east-1"];
    const refused = spawnS3beat(args);
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr()).toContain(`${file} already exists: pass --force to overwrite it`);
    expect(await readFile(file, "utf8")).toBe("keep: me\n");

    const forced = spawnS3beat([...args, "--force"]);
    expect((await forced.exited).code, forced.stderr()).toBe(0);
    expect(await readFile(file, "utf8")).toMatch(/^# s3beat\.yml — written by `s3beat setup`/);
    expect(await mode(file)).toBe(0o600);
  });

  it("never prints a secret given with an invalid value", async () => {
    const file = join(dir, "bad-secret.yml");
    const c = spawnS3beat(["setup", "-c", file, "--non-interactive", "--set", "sqsQueues=q:us-east-1"], {
      S3BEAT_SETUP_SECRET_ACCESS_KEY: "Very Secret Value 123",
    });
    expect((await c.exited).code).toBe(2);
    expect(c.stderr()).toContain("secretAccessKey: a secret access key has no spaces");
    expect(c.stderr()).not.toContain("Very Secret");
  });
});

describe("s3beat run without a config file", () => {
  it("exits 2 without a terminal, explaining how to create the file", async () => {
    const file = join(dir, "absent.yml");
    const c = spawnS3beat(["run", "-c", file]);
    expect((await c.exited).code).toBe(2);
    expect(c.stderr()).toContain(`config file ${file} does not exist`);
    expect(c.stderr()).toContain(`node bin/s3beat.js setup -c ${file}`);
    expect(c.stderr()).toContain(`cp config/s3beat.example.yml ${file}`);
    expect(existsSync(file)).toBe(false);
  });

  it("`setup` without --non-interactive and without a terminal exits 2 pointing at --non-interactive", async () => {
    const c = spawnS3beat(["setup", "-c", join(dir, "no-tty.yml")]);
    expect((await c.exited).code).toBe(2);
    expect(c.stderr()).toContain("--non-interactive --set sqsQueues=NAME:REGION");
  });
});
