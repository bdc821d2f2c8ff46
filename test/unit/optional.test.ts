/** definedOnly: the one way optional properties are left out (util/optional.ts). */
import { describe, expect, it } from "vitest";
import { definedOnly } from "../../src/util/optional.ts";

describe("definedOnly", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["undefined values are left out", { a: 1, b: undefined }, '{"a":1}'],
    ["falsy values that are set are kept", { zero: 0, empty: "", no: false, nil: null }, '{"zero":0,"empty":"","no":false,"nil":null}'],
    ["nothing set: an empty object", { a: undefined }, "{}"],
    ["key order is kept", { z: 1, y: undefined, x: 2 }, '{"z":1,"x":2}'],
  ])("%s", (_name, input, json) => {
    const out = definedOnly(input);
    expect(JSON.stringify(out)).toBe(json);
    expect(Object.keys(out).every((k) => out[k] !== undefined)).toBe(true);
    expect(out).not.toBe(input);
  });
});
