/**
 * Writes the config file with mode 0600 from the first byte, since it may hold a secret key.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { replaceFileAtomically, writeNewFile } from "../util/files.ts";

const MODE = 0o600;

/**
 * Writes `text` to `path` (mode 0600), creating its directory if needed. Without `overwrite`, an
 * existing file is never touched (EEXIST is thrown); with it, the file is replaced atomically through
 * a temporary file beside it, so a reader never sees half a config.
 */
export async function writeConfigFile(path: string, text: string, overwrite: boolean): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (overwrite) await replaceFileAtomically(path, text, { mode: MODE });
  else await writeNewFile(path, text, { mode: MODE });
}
