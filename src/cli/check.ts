import { createLogger } from "../logging/logger.ts";
import { registerSecret, scrubSecrets } from "../logging/redact.ts";
import { formatStep, summaryLine } from "../check/report.ts";
import { verifyAccess } from "../check/verifier.ts";
import { EXIT } from "./exit.ts";
import { loadOrReport } from "./loadConfig.ts";

/** `s3beat check`: one line per step on stdout; exit 1 if any step failed. */
export async function checkCommand(configPath: string, opts: { bucket: string[]; write: boolean }): Promise<number> {
  const loaded = await loadOrReport(configPath);
  if (typeof loaded === "number") return loaded;
  for (const s of loaded.secrets) registerSecret(s);
  // Logs (role refreshes) are for the daemon; check reports through its own lines.
  const log = createLogger({ level: "warn", format: loaded.settings.logging.format });
  process.stdout.write(`s3beat check: ${configPath}\n`);
  const counts = { failed: 0, skipped: 0 };
  const ok = await verifyAccess(loaded.settings.s3beat, { buckets: opts.bucket, write: opts.write }, log, (r) => {
    if (r.status === "FAILED") counts.failed++;
    if (r.status === "skipped") counts.skipped++;
    process.stdout.write(`${scrubSecrets(formatStep(r))}\n`);
  });
  process.stdout.write(`${summaryLine(counts)}\n`);
  return ok ? EXIT.ok : EXIT.failure;
}
