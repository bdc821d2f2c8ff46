/** decoderChoice: the first file selector whose keyRegex matches the key picks the decoder settings (else the defaults); each decoder is built once. */
import { describe, expect, it } from "vitest";
import type { DecoderSettings, FileSelector } from "../../src/config/settings.ts";
import { decoderChooser, decoderSettingsFor } from "../../src/objects/decoderChoice.ts";
import type { Decoder } from "../../src/objects/decoders/decoder.ts";

const defaults: DecoderSettings = { decoder: "lines", maxEventBytes: 1000 };
const cloudtrail: FileSelector = { keyRegex: /CloudTrail\//, decoder: "json", expandEventListFromField: "Records", maxEventBytes: 2000 };
const ndjson: FileSelector = { keyRegex: /\.ndjson$/, decoder: "ndjson", maxEventBytes: 3000 };
const anyJson: FileSelector = { keyRegex: /\.json/, decoder: "json", maxEventBytes: 4000 };
const selectors = [cloudtrail, ndjson, anyJson];

async function texts(decoder: Decoder, data: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of decoder(
    (async function* () {
      yield Buffer.from(data);
    })(),
  ))
    out.push(r.text);
  return out;
}

describe("decoderSettingsFor", () => {
  it.each<[string, string, DecoderSettings]>([
    ["no selector matches: the defaults", "app/server.log", defaults],
    ["one selector matches", "app/events.ndjson", ndjson],
    ["two match: the first in the list", "AWSLogs/CloudTrail/x.json", cloudtrail],
    ["the later one when the first does not match", "app/x.json.gz", anyJson],
  ])("%s", (_name, key, want) => {
    expect(decoderSettingsFor(key, selectors, defaults)).toBe(want);
  });

  it("no selectors at all: the defaults", () => {
    expect(decoderSettingsFor("anything", [], defaults)).toBe(defaults);
  });
});

describe("decoderChooser", () => {
  const data = '{"Records":[{"a":1},{"a":2}]}\n';

  it.each([
    ["the defaults (lines)", "app/server.log", ['{"Records":[{"a":1},{"a":2}]}']],
    ["json expanding Records", "AWSLogs/CloudTrail/x.json", ['{"a":1}', '{"a":2}']],
    ["json without expansion", "app/x.json", ['{"Records":[{"a":1},{"a":2}]}']],
  ])("the key picks its decoder: %s", async (_name, key, want) => {
    const choose = decoderChooser(selectors, defaults);
    expect(await texts(choose(key), data)).toEqual(want);
  });

  it("the decoder carries its selector's maxEventBytes", async () => {
    const choose = decoderChooser([{ keyRegex: /short/, decoder: "lines", maxEventBytes: 5 }], defaults);
    const [short] = await texts(choose("short.log"), "0123456789\n");
    const [long] = await texts(choose("long.log"), "0123456789\n");
    expect(short?.length).toBeLessThan(10);
    expect(long).toBe("0123456789");
  });

  it("builds each decoder once, shared by every key of its settings", () => {
    const choose = decoderChooser(selectors, defaults);
    const a = choose("a.ndjson");
    expect(choose("b.ndjson")).toBe(a);
    expect(choose("c.log")).toBe(choose("d.log"));
    expect(choose("c.log")).not.toBe(a);
    expect(choose("AWSLogs/CloudTrail/x.json")).not.toBe(choose("x.json"));
  });

  it("each chooser builds its own", () => {
    expect(decoderChooser(selectors, defaults)("a.log")).not.toBe(decoderChooser(selectors, defaults)("a.log"));
  });
});
