/**
 * The only I/O of a migration: a backup of the original, then the new file written atomically, so
 * that a crash or a full disk leaves either the old file or the new one, never half of each.
 */
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes `data` to a file that must not exist yet, with `like`'s mode (umask aside) and, where allowed, owner. */
async function writeNew(path: string, data: Uint8Array | string, like: Stats): Promise<void> {
  const handle = await open(path, "wx", like.mode & 0o7777);
  try {
    await handle.chmod(like.mode & 0o7777); // the umask may have narrowed it at creation
    // Run as root on a file of the s3beat user, keep it readable by that user. Not permitted otherwise: fine.
    if (like.uid !== process.getuid?.() || like.gid !== process.getgid?.()) await handle.chown(like.uid, like.gid).catch(() => undefined);
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Copies `original` (the exact bytes read) to `FILE.bak-v<version>`, or `.bak-v<version>.1`, `.2`…
 * when that exists: an older backup is never overwritten. Returns the backup's path.
 */
export async function writeBackup(path: string, original: Uint8Array, version: number, like: Stats): Promise<string> {
  const base = `${path}.bak-v${version}`;
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? base : `${base}.${n}`;
    try {
      await writeNew(candidate, original, like);
      return candidate;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

/** Replaces `path` with `text`: temp file in the same directory, fsync, original mode, rename over it. */
export async function replaceAtomically(path: string, text: string, like: Stats): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.migrate-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeNew(temp, text, like);
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  // The rename itself is durable only once the directory is flushed (not possible on every platform).
  const d = await open(dir, "r").catch(() => undefined);
  await d?.sync().catch(() => undefined);
  await d?.close();
}
