import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeConfigFile } from "../../src/setup/write.ts";

describe("writeConfigFile", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "s3beat-setup-write-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("creates the file (and its directory) with mode 0600", async () => {
    const path = join(dir, "new/sub/s3beat.yml");
    await writeConfigFile(path, "a: 1\n", false);
    expect(await readFile(path, "utf8")).toBe("a: 1\n");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("never replaces an existing file without overwrite", async () => {
    const path = join(dir, "existing.yml");
    await writeFile(path, "keep me\n");
    await expect(writeConfigFile(path, "new\n", false)).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(path, "utf8")).toBe("keep me\n");
  });

  it("with overwrite replaces it, tightening a wider mode to 0600 and leaving no temporary file", async () => {
    const path = join(dir, "wide.yml");
    await writeFile(path, "old\n");
    await chmod(path, 0o644);
    await writeConfigFile(path, "new\n", true);
    expect(await readFile(path, "utf8")).toBe("new\n");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
