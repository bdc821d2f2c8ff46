/** The README's configuration reference and the example config are generated from the schema's option docs. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXAMPLE_PATH, exampleConfig, README_PATH, updateReadme } from "../../scripts/config-docs.ts";
import { OPTIONS } from "../../src/config/options.ts";

const STALE = "is not what the schema's option docs generate: run npm run docs:config";

describe("generated configuration docs", () => {
  it("README.md's configuration reference tables are up to date", () => {
    const readme = readFileSync(README_PATH, "utf8");
    expect(readme === updateReadme(readme), `README.md ${STALE}`).toBe(true);
  });

  it("config/s3beat.example.yml is up to date", () => {
    expect(readFileSync(EXAMPLE_PATH, "utf8") === exampleConfig(), `config/s3beat.example.yml ${STALE}`).toBe(true);
  });

  it("every option has a meaning, and every key of the example a comment", () => {
    expect(OPTIONS.filter((o) => !o.meta.doc).map((o) => o.path)).toEqual([]);
    const uncommented = exampleConfig()
      .split("\n")
      // Key lines, commented out or not; prose comments start "# " and a capital.
      .filter((l) => /^#?\s*[\w.]+: \S/.test(l) && !/^# [A-Z]/.test(l) && !/ # \S/.test(l) && !l.startsWith("configVersion"));
    expect(uncommented).toEqual([]);
  });
});
