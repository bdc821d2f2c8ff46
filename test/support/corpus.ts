import { gzipSync } from "node:zlib";

/** A generated object with the exact messages the pipeline must deliver for it. */
export interface CorpusObject {
  key: string;
  body: Buffer;
  messages: string[];
}

// Awkward characters S3 keys really contain; notifications URL-encode them.
const AWKWARD = ["with space", "plus+sign", "100%pct", "été-日本", "mix + % é"];

function keyFor(kind: string, i: number, gz: boolean, ext: string): string {
  const awkward = i % 3 === 0 ? `${AWKWARD[i % AWKWARD.length]}/` : "";
  return `${kind}/${awkward}obj-${i}${ext}${gz ? ".gz" : ""}`;
}

const pack = (text: string, gz: boolean) => (gz ? gzipSync(text) : Buffer.from(text));

export function linesObject(i: number, n: number, gz: boolean): CorpusObject {
  const messages = Array.from({ length: n }, (_, j) => `lines obj=${i} line=${j} user=élodie status=${200 + (j % 5)}`);
  return { key: keyFor("lines", i, gz, ".log"), body: pack(messages.join("\r\n") + "\r\n", gz), messages };
}

export function ndjsonObject(i: number, n: number, gz: boolean): CorpusObject {
  const messages = Array.from({ length: n }, (_, j) => JSON.stringify({ obj: i, line: j, msg: `ndjson ${i}/${j}`, nested: { ok: true } }));
  return { key: keyFor("ndjson", i, gz, ".ndjson"), body: pack(messages.join("\n") + "\n", gz), messages };
}

/** CloudTrail-shaped: one document whose Records array holds the events. */
export function cloudTrailObject(i: number, n: number, gz: boolean): CorpusObject {
  const messages = Array.from({ length: n }, (_, j) =>
    JSON.stringify({ eventVersion: "1.08", eventID: `${i}-${j}`, eventName: "GetObject", requestParameters: { note: 'a ] and a } and \\"quote\\"' } }),
  );
  const text = `{"Records":[${messages.join(",")}]}`;
  return { key: keyFor("json", i, gz, ".json"), body: pack(text, gz), messages };
}

/** Java-style logs: a line starting with a date opens an event, indented lines continue it. */
export function multilineObject(i: number, n: number, gz: boolean): CorpusObject {
  const messages = Array.from({ length: n }, (_, j) => {
    const head = `2026-11-22 12:00:${String(j % 60).padStart(2, "0")} ERROR obj=${i} event=${j}`;
    const trace = Array.from({ length: j % 3 }, (_, k) => `\tat com.example.C${k}.m(C.java:${k})`);
    return [head, ...trace].join("\n");
  });
  return { key: keyFor("multiline", i, gz, ".log"), body: pack(messages.join("\n") + "\n", gz), messages };
}

/** A large plain-lines object for crash and shutdown tests: line j is `big line=<j> …`. */
export function bigLinesObject(key: string, lines: number): CorpusObject & { lineCount: number } {
  const parts: string[] = [];
  for (let j = 0; j < lines; j++) parts.push(`big line=${j} padding=${"x".repeat(60)}`);
  return { key, body: gzipSync(parts.join("\n") + "\n"), messages: [], lineCount: lines };
}
