import { describe, expect, it } from "vitest";
import { decodeNotificationKey, encodeNotificationKey } from "../../src/sqs/objectKey.ts";

describe("decodeNotificationKey", () => {
  it.each([
    ["plain/key.log", "plain/key.log"],
    ["with+space.log", "with space.log"],
    ["a%2Bb.log", "a+b.log"],
    ["100%25+done.log", "100% done.log"],
    ["journal+d%27acc%C3%A8s+%C3%A9t%C3%A9.log", "journal d'accès été.log"],
    ["%E6%97%A5%E6%9C%AC/%F0%9F%93%9C.txt", "日本/📜.txt"],
    ["sp%20ace.log", "sp ace.log"],
    // A '%' that is not an escape cannot come from S3; keep it rather than fail the message.
    ["odd%zz+name%C3%A9", "odd%zz name\u00e9"],
  ])("%s -> %s", (encoded, decoded) => {
    expect(decodeNotificationKey(encoded)).toBe(decoded);
  });

  it.each(["a b+c%d/é 日本.log", "x+y", "100%", "(paren)*!'.gz", "tab\tnew"])("round-trips %s", (key) => {
    const encoded = encodeNotificationKey(key);
    expect(encoded).not.toContain(" ");
    expect(decodeNotificationKey(encoded)).toBe(key);
  });
});

describe("decodeNotificationKey: keys S3 did not encode", () => {
  it.each([
    ["%zz%41%42", "%zzAB"], // the escapes after a stray '%' are still decoded
    ["50%+off%c3%a9", "50% off\u00e9"], // lower-case hex
    ["100%+%C3", "100% %C3"], // an escape that is not UTF-8 stays as it is
    ["%%41", "%A"],
    ["a+%zz+b", "a %zz b"],
  ])("%s -> %s", (encoded, decoded) => {
    expect(decodeNotificationKey(encoded)).toBe(decoded);
  });
});

describe("encodeNotificationKey: S3's encoding", () => {
  it.each([
    ["plain/key.log", "plain/key.log"],
    ["a b/c d.log", "a+b/c+d.log"],
    ["a+b", "a%2Bb"],
    ["100%", "100%25"],
    ["(paren)*!'.gz", "%28paren%29%2A%21%27.gz"],
    ["é", "%C3%A9"],
    ["~_-.", "~_-."],
  ])("%s -> %s", (key, encoded) => {
    expect(encodeNotificationKey(key)).toBe(encoded);
  });
});
