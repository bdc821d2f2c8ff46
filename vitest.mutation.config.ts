import { defineConfig } from "vitest/config";

// The unit tests only (no servers, no child processes): what Stryker runs against each mutant.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
