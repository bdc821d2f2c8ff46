/**
 * S3 event notifications carry object keys form-URL-encoded: a space arrives as `+` and other
 * bytes as `%XX`. GetObject needs the real key, so `+` must become a space BEFORE percent-decoding
 * (a literal `+` in the key arrives as `%2B`).
 */
export function decodeNotificationKey(encoded: string): string {
  const spaced = encoded.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A stray '%' that is not an escape: S3 always encodes '%' as %25, so this key was not
    // encoded by S3. Decode what can be decoded, keep the rest as it is.
    return spaced.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/** The key encoding S3 uses in notifications (used by the demo and tests to post notifications). */
export function encodeNotificationKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%20/g, "+")
    .replace(/%2F/g, "/")
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
