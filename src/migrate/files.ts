/**
 * The only I/O of a migration: a backup of the original, then the new file written atomically, so
 * that a crash or a full disk leaves either the old file or the new one, never half of each. Both
 * keep the original's mode and (where allowed) owner.
 */
import type { Stats } from "node:fs";
import { replaceFileAtomically, writeNewFile, type FileOwnership } from "../util/files.ts";

function ownershipOf(like: Stats): FileOwnership {
  return { mode: like.mode & 0o7777, owner: { uid: like.uid, gid: like.gid } };
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
      await writeNewFile(candidate, original, ownershipOf(like));
      return candidate;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

/** Replaces `path` with `text`: temp file in the same directory, fsync, original mode, rename over it. */
export async function replaceAtomically(path: string, text: string, like: Stats): Promise<void> {
  await replaceFileAtomically(path, text, ownershipOf(like));
}
