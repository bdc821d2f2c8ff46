import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Each scenario appends its row (expected | delivered | duplicates | lost | peak RSS) here; the
// global teardown prints the table once every file has run. The workers inherit the variable.
process.env.S3BEAT_FAULTS_RESULTS ??= join(tmpdir(), `s3beat-faults-${process.pid}.jsonl`);

/**
 * `npm run test:faults`: the whole fault suite, the real daemon under SIGKILL, collector, S3, SQS,
 * STS, disk and poison-input faults. The CI subset (test/faults/*.ci.test.ts) also runs in
 * `npm test`; the rest (test/faults/*.fault.ts) only here.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.ci.test.ts", "test/faults/**/*.fault.ts"],
    globalSetup: ["test/faults/globalSetup.ts"],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ["default", "./test/support/summaryReporter.ts"],
  },
});
