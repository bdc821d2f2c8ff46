import { Command, CommanderError, Option } from "commander";
import { VERSION } from "../version.ts";
import { runCommand } from "./run.ts";
import { demoCommand } from "./demo.ts";
import { EXIT } from "./exit.ts";

const program = new Command()
  .name("s3beat")
  .description("Ingest logs from Amazon S3 through SQS notifications and ship them to a collector, a file or stdout")
  .version(VERSION, "-V, --version")
  .exitOverride()
  .showHelpAfterError();

const configOption = () => new Option("-c, --config <file>", "config file").default("s3beat.yml");

program
  .command("run")
  .description("run the daemon")
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    process.exitCode = await runCommand(opts.config);
  });

program
  .command("demo")
  .description("ingest sample objects from an embedded S3+SQS emulator (127.0.0.1) to stdout, then exit")
  .action(async () => {
    process.exitCode = await demoCommand();
  });

program
  .command("version")
  .description("print version, Node.js version and build")
  .action(() => {
    process.stdout.write(`s3beat ${VERSION} (node ${process.version}, ${process.platform}/${process.arch})\n`);
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
