/**
 * Largest index `<= end` (and `>= start`) at which `buf` can be cut without splitting a UTF-8
 * multi-byte sequence that starts in `[start, end)`. Only the last (at most 4) bytes are looked at.
 */
export function utf8Boundary(buf: Uint8Array, start: number, end: number): number {
  // Walk back over continuation bytes (10xxxxxx) to the lead byte of the last character.
  let i = end - 1;
  while (i > start && end - i < 4 && ((buf[i] ?? 0) & 0xc0) === 0x80) i--;
  const lead = buf[i] ?? 0;
  if (i < start || lead < 0xc0) return end; // ASCII, or invalid UTF-8 we leave alone
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return i + need > end ? i : end;
}
