/**
 * Writes the config file with mode 0600 from the first byte, since it may hold a secret key.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

const MODE = 0o600;

/** Creates `path` (never replacing a file) with mode 0600 and writes `text`. */
async function writeNew(path: string, text: string): Promise<void> {
  const fh = await open(path, "wx", MODE);
  try {
    await fh.writeFile(text);
    // open()'s mode is filtered by the umask, and an odd umask could leave it wider or narrower.
    await fh.chmod(MODE);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `text` to `path` (mode 0600), creating its directory if needed. Without `overwrite`, an
 * existing file is never touched (EEXIST is thrown); with it, the file is replaced atomically through
 * a temporary file beside it, so a reader never sees half a config.
 */
export async function writeConfigFile(path: string, text: string, overwrite: boolean): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (!overwrite) return writeNew(path, text);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeNew(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
