import { configDefaults, defineConfig } from "vitest/config";

// The image tests need a container engine: `npm run test:image`.
const notHere = [...configDefaults.exclude, "test/image/**"];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests start servers and child processes; two cores on CI.
    maxWorkers: 2,
    reporters: ["default", "./test/support/summaryReporter.ts"],
    projects: [
      {
        extends: true,
        // One worker runs the unit files one after another: a fresh worker per file cost ~0.4 s
        // each, more than most of these files take. So a unit test must leave no global behind
        // (fake timers restored in afterEach, no spy left on a global, env stubs undone).
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], isolate: false, setupFiles: ["test/support/unitIsolation.ts"] },
      },
      {
        extends: true,
        test: { name: "integration", include: ["test/**/*.test.ts"], exclude: [...notHere, "test/unit/**"] },
      },
    ],
  },
});
