import { defineConfig } from "vitest/config";

/** `npm run test:image`: the container image through testcontainers (scripts/test-image.sh builds it first). */
export default defineConfig({
  test: {
    include: ["test/image/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    reporters: ["default", "./test/support/summaryReporter.ts"],
  },
});
