/** What text takes inside a JSON string as JSON.stringify writes it (the size "as shipped"). */

/** Bytes an ASCII character takes inside a JSON string. */
export const ASCII_BYTES = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x22 || c === 0x5c) ASCII_BYTES[c] = 2;
  else ASCII_BYTES[c] = c < 0x20 ? 6 : 1;
}

/** Characters JSON.stringify escapes, and surrogates (a lone one is escaped; pairs are 4 bytes). */
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Bytes `text` takes inside a JSON string as JSON.stringify writes it (UTF-8, quotes not counted):
 * exactly `Buffer.byteLength(JSON.stringify(text)) - 2`, without building that string.
 */
export function jsonStringBytes(text: string): number {
  // Text without anything to escape (most plain log lines) is its UTF-8 length, counted natively.
  if (!SPECIAL.test(text)) return Buffer.byteLength(text, "utf8");
  let n = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += ASCII_BYTES[c]!;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else if (c < 0xdc00 && i + 1 < len && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 6;
  }
  return n;
}
