/**
 * The README's commands on a machine whose own Node is older than s3beat needs (this machine's and
 * CI's is 20): `node bin/s3beat.js …` runs the command under the Node 24 of .cache/node24 (fetched
 * as the quick start does) instead of refusing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN } from "../support/child.ts";

/** Every `node` on PATH older than 22.18 (the tests themselves run on a newer one, first on PATH). */
function oldNodes(): string[] {
  const found = new Set<string>();
  for (const dir of (process.env.PATH ?? "").split(delimiter).concat(["/usr/bin", "/usr/local/bin", "/bin"])) {
    const candidate = join(dir, "node");
    try {
      accessSync(candidate, constants.X_OK);
      const [major, minor] = execFileSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8" }).trim().split(".").map(Number);
      if (major! < 22 || (major === 22 && minor! < 18)) found.add(candidate);
    } catch {
      // not there
    }
  }
  return [...found];
}

const old = oldNodes()[0];
if (!old) console.log("old-node test skipped: no Node older than 22.18 on this machine's PATH");

describe("bin/s3beat.js under a Node older than 22.18", () => {
  it.runIf(old !== undefined)(`runs the command under Node 24 (old node: ${old})`, () => {
    const r = spawnSync(old!, [BIN, "version"], { encoding: "utf8", timeout: 120_000 });
    expect(r.stderr).not.toContain("needs Node.js");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^s3beat \d+\.\d+\.\d+ \(node v2[4-9]\./);
  });

  it.runIf(old !== undefined)("passes the exit code through (a usage error stays exit 2)", () => {
    const r = spawnSync(old!, [BIN, "no-such-command"], { encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});
