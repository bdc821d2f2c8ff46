import { Command, CommanderError, Option } from "commander";
import { answerKeysHelp } from "../setup/nonInteractive.ts";
import { VERSION } from "../version.ts";
import { reraiseEarlySignals } from "./earlySignals.ts";
import { EXIT } from "./exit.ts";

const program = new Command()
  .name("s3beat")
  .description("Ingest logs from Amazon S3 through SQS notifications and ship them to a collector, a file or stdout")
  .version(VERSION, "-V, --version")
  .exitOverride()
  .showHelpAfterError();

// The image sets S3BEAT_CONFIG=/etc/s3beat/s3beat.yml (a mounted volume); -c always wins.
const configOption = () =>
  new Option("-c, --config <file>", "config file (default: $S3BEAT_CONFIG, else s3beat.yml)").default(process.env.S3BEAT_CONFIG || "s3beat.yml");

program
  .command("run")
  .description("run the daemon")
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    // Commands load lazily: the daemon should not carry the demo's emulator in memory.
    const { runCommand } = await import("./run.ts");
    process.exitCode = await runCommand(opts.config);
  });

program
  .command("validate")
  .description("check the config file: every problem with its line and key path; exit 0 only if valid")
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    const { validateCommand } = await import("./validate.ts");
    process.exitCode = await validateCommand(opts.config);
  });

program
  .command("setup")
  .description("first-run setup: ask the questions and write a commented config file (mode 0600)")
  .addOption(configOption())
  .option("--non-interactive", "take the answers from --set and S3BEAT_SETUP_* variables; fail listing every missing one")
  .option("--set <key=value>", "an answer for --non-interactive (repeatable)", (v: string, all: string[] = []) => [...all, v])
  .option("--force", "overwrite an existing file without asking")
  .addHelpText("after", () => `\n${answerKeysHelp()}`)
  .action(async (opts: { config: string; nonInteractive?: boolean; set?: string[]; force?: boolean }) => {
    const { setupCommand } = await import("./setup.ts");
    process.exitCode = await setupCommand({
      config: opts.config,
      nonInteractive: opts.nonInteractive === true,
      set: opts.set ?? [],
      force: opts.force === true,
    });
  });

program
  .command("check")
  .description("verify access: assume the role(s), check each queue and each --bucket, one line per step")
  .addOption(configOption())
  .option("--bucket <name>", "also check this bucket (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
  .option("--write", "also PutObject, CopyObject, GetObject, DeleteObject and a presigned GET of a 1-byte object", false)
  .action(async (opts: { config: string; bucket: string[]; write: boolean }) => {
    const { checkCommand } = await import("./check.ts");
    process.exitCode = await checkCommand(opts.config, opts);
  });

program
  .command("migrate-config")
  .description("bring the config file up to the current schema, keeping comments and layout (the original is backed up)")
  .addOption(configOption())
  .option("--dry-run", "print the change as a unified diff and write nothing", false)
  .option(
    "--secrets-from-env",
    "replace LogRhythm-encrypted accessKeyID/secretAccessKey values (N||…) with ${S3BEAT_ACCESS_KEY_ID}/${S3BEAT_SECRET_ACCESS_KEY}; then set those variables to the plain keys",
    false,
  )
  .action(async (opts: { config: string; dryRun: boolean; secretsFromEnv: boolean }) => {
    const { migrateConfigCommand } = await import("./migrate.ts");
    process.exitCode = await migrateConfigCommand(opts.config, { dryRun: opts.dryRun, secretsFromEnv: opts.secretsFromEnv });
  });

program
  .command("demo")
  .description("ingest sample objects from an embedded S3+SQS emulator (127.0.0.1) to stdout, then exit")
  .action(async () => {
    const { demoCommand } = await import("./demo.ts");
    process.exitCode = await demoCommand();
  });

program
  .command("version")
  .description("print version, Node.js version and build")
  .action(async () => {
    const { buildInfo } = await import("../version.ts");
    process.stdout.write(`s3beat ${VERSION} (node ${process.version}, ${process.platform}/${process.arch}, build: ${buildInfo()})\n`);
  });

// Every command but `run` (which stops gracefully on them) gives early signals their default effect.
program.hook("preAction", (_program, command) => {
  if (command.name() !== "run") reraiseEarlySignals();
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with code 0.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    throw err;
  }
}
// The command is over. Anything still holding the event loop (a socket of a library) must not
// keep a stopped beat alive; stdout/stderr get a moment to drain first.
setTimeout(() => process.exit(), 500).unref();
