import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The image tests need a container engine: `npm run test:image`.
    exclude: [...configDefaults.exclude, "test/image/**"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests start servers and child processes; two cores on CI.
    maxWorkers: 2,
    reporters: ["default", "./test/support/summaryReporter.ts"],
  },
});
