/**
 * Static checks of the Dockerfile (no engine needed, so they run in CI): dockerfile-utils' linter
 * (the one behind VS Code's Docker support), and the rules the image promises operators.
 */
import { readFileSync } from "node:fs";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";

const TEXT = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
const IGNORE = readFileSync(new URL("../../.dockerignore", import.meta.url), "utf8").split("\n");
const doc = DockerfileParser.parse(TEXT);
const instructions = doc
  .getInstructions()
  .map((i) => ({ keyword: i.getKeyword(), args: i.getArgumentsContent() ?? "", text: i.getTextContent(), line: i.getRange().start.line + 1 }));
/** The instructions of the last stage: what ships. */
const lastFrom = instructions.map((i) => i.keyword).lastIndexOf("FROM");
const runtime = instructions.slice(lastFrom);
const one = (keyword: string) => {
  const found = runtime.filter((i) => i.keyword === keyword);
  expect(found, `${keyword} in the runtime stage`).toHaveLength(1);
  return found[0]!.args;
};

describe("Dockerfile", () => {
  it("has no linter findings", () => {
    const problems = validate(TEXT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it("is multi-stage on node:24-bookworm-slim, and ships no dev dependencies and no compiler", () => {
    const froms = instructions.filter((i) => i.keyword === "FROM").map((i) => i.args.split(/\s+/)[0]);
    expect(froms).toEqual(["node:24-bookworm-slim", "node:24-bookworm-slim"]);
    const installs = runtime.filter((i) => i.keyword === "RUN" && /\bnpm (ci|install)\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(runtime.some((i) => i.keyword === "COPY" && /\bsrc\b/.test(i.args))).toBe(false); // compiled JavaScript only
    expect(runtime.some((i) => i.keyword === "COPY" && /--from=build \/app\/dist/.test(i.text))).toBe(true);
  });

  it("runs as node with the CLI as entrypoint, run as default command, the config in /etc/s3beat", () => {
    expect(one("USER")).toBe("node");
    expect(JSON.parse(one("ENTRYPOINT"))).toEqual(["node", "/app/bin/s3beat.js"]);
    expect(JSON.parse(one("CMD"))).toEqual(["run"]);
    const env = runtime
      .filter((i) => i.keyword === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toMatch(/S3BEAT_CONFIG=\/etc\/s3beat\/s3beat\.yml/);
    expect(env).toMatch(/S3BEAT_HTTP_ENABLED=true/);
    expect(env).toMatch(/S3BEAT_HTTP_HOST=127\.0\.0\.1/);
    expect(env).toMatch(/S3BEAT_HTTP_PORT=5066/);
    expect(one("STOPSIGNAL")).toBe("SIGTERM");
  });

  it("checks health on the HTTP endpoint and carries the OCI labels", () => {
    expect(one("HEALTHCHECK")).toMatch(/CMD \["node", "\/app\/bin\/healthcheck\.js"\]/);
    const labels = runtime
      .filter((i) => i.keyword === "LABEL")
      .map((i) => i.args)
      .join(" ");
    for (const key of ["version", "source", "licenses", "title"]) expect(labels).toContain(`org.opencontainers.image.${key}=`);
  });

  it(".dockerignore keeps the build context to what the build needs", () => {
    for (const entry of ["node_modules", "dist", ".git", "test", ".cache"]) expect(IGNORE).toContain(entry);
  });
});
