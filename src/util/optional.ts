/**
 * The one way s3beat writes an object with optional properties: list every key, with `undefined`
 * for "not set", and pass the object through this. Keys whose value is undefined are left out,
 * so JSON, log lines and AWS requests never carry `"key": undefined` or an empty value the
 * receiver would take as set. Write `x || undefined` where an empty string also means "not set".
 */
export function definedOnly<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
