import { describe, expect, it } from "vitest";
import { expandEnv } from "../../src/config/env.ts";

const env = { HOME_DIR: "/home/beat", EMPTY: "", KEY: "AKIAEXAMPLE", PORT: "5044" };

describe("expandEnv", () => {
  it.each([
    { text: "plain", want: "plain" },
    { text: "${HOME_DIR}", want: "/home/beat" },
    { text: "${HOME_DIR}/out", want: "/home/beat/out" },
    { text: "host:${PORT}", want: "host:5044" },
    { text: "${KEY}-${PORT}", want: "AKIAEXAMPLE-5044" },
    { text: "${UNSET:fallback}", want: "fallback" },
    { text: "${UNSET:}", want: "" },
    { text: "${UNSET:a:b}", want: "a:b" },
    { text: "${PORT:9999}", want: "5044" },
    { text: "${EMPTY:used}", want: "used" },
    { text: "${EMPTY}", want: "" },
    { text: "$${HOME_DIR}", want: "${HOME_DIR}" },
    { text: "cost: $5 and $$", want: "cost: $5 and $$" },
    { text: "a$${b}${PORT}", want: "a${b}5044" },
  ])("$text → $want", ({ text, want }) => {
    expect(expandEnv(text, env)).toEqual({ value: want, missing: [], malformed: [] });
  });

  it("collects every missing variable, each once, in order", () => {
    const r = expandEnv("${A}/${B}/${A}/${C:ok}", env);
    expect(r.missing).toEqual(["A", "B"]);
    expect(r.value).toBe("///ok");
  });

  // The text may be a secret that happens to contain "${", so messages never quote it.
  it.each([
    ["${", /unterminated/],
    ["pw${SECRETX", /unterminated/],
    ["${}", /invalid \$\{\.\.\.\} reference/],
    ["${1SECRETX}", /invalid \$\{\.\.\.\} reference/],
    ["${SECRETX Y}", /invalid \$\{\.\.\.\} reference/],
  ])("reports malformed %j without quoting it", (text, message) => {
    const r = expandEnv(text, env);
    expect(r.malformed).toHaveLength(1);
    expect(r.malformed[0]).toMatch(message);
    expect(r.malformed[0]).not.toContain("SECRETX");
    expect(r.missing).toEqual([]);
  });

  it("defaults to process.env", () => {
    process.env.S3BEAT_TEST_ENV_DEFAULT = "from-process";
    try {
      expect(expandEnv("${S3BEAT_TEST_ENV_DEFAULT}").value).toBe("from-process");
    } finally {
      delete process.env.S3BEAT_TEST_ENV_DEFAULT;
    }
  });
});
