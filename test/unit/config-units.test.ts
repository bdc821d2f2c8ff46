import { describe, expect, it } from "vitest";
import { formatByteSize, formatDuration, parseByteSize, parseDurationSeconds } from "../../src/config/units.ts";

describe("parseDurationSeconds", () => {
  it.each([
    [0, 0],
    [45, 45],
    ["0", 0],
    ["120", 120],
    ["90s", 90],
    ["5m", 300],
    ["1h", 3600],
    ["1h30m", 5400],
    ["1h30m15s", 5415],
    ["2m30s", 150],
    ["1h15s", 3615],
    [" 20s ", 20],
  ] as const)("%j → %d seconds", (input, want) => {
    expect(parseDurationSeconds(input)).toBe(want);
  });

  it.each([["500ms"], [""], ["h"], ["5 m"], ["30m1h"], ["1.5h"], ["-5s"], ["5d"], ["abc"], [1.5], [-1], [Number.NaN]])(
    "rejects %j with the accepted forms in the message",
    (input) => {
      expect(() => parseDurationSeconds(input as string | number)).toThrow(/expected a duration like 30s, 5m, 1h30m or a number of seconds/);
    },
  );
});

describe("parseByteSize", () => {
  it.each([
    [0, 0],
    [512, 512],
    ["512", 512],
    ["100B", 100],
    ["64KiB", 64 * 1024],
    ["10MiB", 10 * 1024 ** 2],
    ["1GiB", 1024 ** 3],
    ["10KB", 10_000],
    ["10MB", 10_000_000],
    ["2GB", 2_000_000_000],
    ["10mib", 10 * 1024 ** 2],
    ["64kib", 64 * 1024],
    ["1.5KiB", 1536],
    ["10 MiB", 10 * 1024 ** 2],
  ] as const)("%j → %d bytes", (input, want) => {
    expect(parseByteSize(input)).toBe(want);
  });

  it.each([["10XB"], [""], ["MiB"], ["-1KiB"], ["1TiB"], ["ten"], [1.5], [-3]])("rejects %j", (input) => {
    expect(() => parseByteSize(input as string | number)).toThrow(/expected a size like/);
  });
});

describe("formatting for messages", () => {
  it.each([
    [0, "0s"],
    [20, "20s"],
    [300, "5m"],
    [5415, "1h30m15s"],
    [43200, "12h"],
  ])("duration %d → %s, and it parses back", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each([
    [1024, "1KiB"],
    [10 * 1024 ** 2, "10MiB"],
    [1536, "1536"],
  ])("size %d → %s", (bytes, text) => {
    expect(formatByteSize(bytes)).toBe(text);
  });
});
