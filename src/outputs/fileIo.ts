/**
 * The file output's I/O: writing a batch's pieces, rotating the numbered backups, finding where the
 * last complete line of an existing file ends, and making a new file's directory entry durable.
 */
import { open, readdir, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { FileOutputSettings } from "../config/settings.ts";

/** Bytes read per step when looking backwards for the last newline of an existing file. */
const TAIL_CHUNK = 64 * 1024;

/**
 * Makes room for a new active file: deletes every backup that would end up numbered
 * `numberOfFiles` or higher after the shift (leftovers of a run configured with more files
 * included), shifts `.1`…`.n-2` up by one, and renames the active file to `.1`.
 */
export async function shiftBackups(s: Pick<FileOutputSettings, "path" | "filename" | "numberOfFiles">): Promise<void> {
  const { path, filename, numberOfFiles } = s;
  const file = join(path, filename);
  const pattern = new RegExp(`^${escapeRegExp(filename)}\\.([1-9]\\d*)$`);
  for (const name of await readdir(path)) {
    const match = pattern.exec(name);
    if (match && Number(match[1]) >= numberOfFiles - 1) await unlinkIfExists(join(path, name));
  }
  for (let i = numberOfFiles - 2; i >= 1; i--) {
    await renameIfExists(`${file}.${i}`, `${file}.${i + 1}`);
  }
  // Settings validation keeps numberOfFiles >= 2; with fewer there is no room for a backup.
  if (numberOfFiles >= 2) await rename(file, `${file}.1`);
  else await unlink(file);
}

/** fsync the directory so that a newly created file's entry survives a crash, not only its data. */
export async function syncDirectory(path: string): Promise<void> {
  if (process.platform === "win32") return; // directories cannot be opened for fsync there
  const dir = await open(path, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Where the last complete line of a file ends: just after its last newline, 0 when there is none.
 * A process killed mid-write can leave a torn last line; it was never acknowledged (its message
 * comes again), so it is cut off rather than kept as a corrupt line. Read backwards in chunks, so
 * a large file costs only its last line.
 */
export async function lastLineEnd(handle: FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const buf = Buffer.alloc(Math.min(size, TAIL_CHUNK));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - buf.length);
    let got = 0;
    while (got < end - start) {
      const { bytesRead } = await handle.read(buf, got, end - start - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const at = buf.subarray(0, got).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** Writes `pieces` (`bytes` in all) at the file's end: one writev, then single writes for whatever a short write left. */
export async function writeAll(handle: FileHandle, pieces: Buffer[], bytes: number): Promise<void> {
  let done = (await handle.writev(pieces)).bytesWritten;
  if (done === bytes) return;
  for (const piece of pieces) {
    if (done >= piece.length) {
      done -= piece.length;
      continue;
    }
    let at = done;
    done = 0;
    while (at < piece.length) at += (await handle.write(piece, at, piece.length - at)).bytesWritten;
  }
}
