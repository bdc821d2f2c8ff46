/**
 * The one way s3beat writes a file it must not leave half-written (the config written by setup,
 * the migrated config and its backup): created exclusively with its final mode from the first
 * byte, fsynced, and, when it replaces a file, renamed over it from a temporary file beside it, so
 * a crash or a full disk leaves either the old file or the new one.
 */
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface FileOwnership {
  /** Permission bits (e.g. 0o600). */
  mode: number;
  /** Owner to give the file when it differs from the process's (root migrating the s3beat user's file); best effort. */
  owner?: { uid: number; gid: number };
}

/** Creates `path` (EEXIST if it exists), with `mode` despite the umask, writes `data` and fsyncs it. */
export async function writeNewFile(path: string, data: Uint8Array | string, own: FileOwnership): Promise<void> {
  const handle = await open(path, "wx", own.mode);
  try {
    await handle.chmod(own.mode); // the umask may have narrowed (or an odd one widened) it at creation
    const { owner } = own;
    if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) await handle.chown(owner.uid, owner.gid).catch(() => undefined);
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces (or creates) `path` atomically: a temporary file beside it, fsync, rename, then the directory fsynced. */
export async function replaceFileAtomically(path: string, data: Uint8Array | string, own: FileOwnership): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeNewFile(temp, data, own);
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
