import { describe, expect, it } from "vitest";
import { neutralizeJsonLine } from "../../src/logging/sanitize.ts";

// Any C0 control character, DEL excepted (a terminal ignores it), or any C1 control character.
const CONTROL = /[\u0000-\u001f\u0080-\u009f]/;

/**
 * `value` is the untrusted text as it is logged; the line is what pino writes (JSON.stringify
 * escapes the same characters). `json` is the value a JSON reader gets back from the neutralized
 * line, `visible` the value the pretty printer gets back (and prints).
 */
const CASES: Array<{ name: string; value: string; json: string; visible: string }> = [
  { name: "newline", value: "a\nFORGED b", json: "a\nFORGED b", visible: "a\\nFORGED b" },
  { name: "carriage return", value: "a\rFORGED", json: "a\rFORGED", visible: "a\\rFORGED" },
  { name: "ESC (ANSI colour)", value: "a\u001b[31mred", json: "a\u001b[31mred", visible: "a\\u001b[31mred" },
  { name: "C1 CSI \\u009b", value: "a\u009b31mred", json: "a\u009b31mred", visible: "a\\u009b31mred" },
  { name: "tab", value: "a\tb", json: "a\tb", visible: "a\\tb" },
  { name: "backspace and form feed", value: "a\b\fb", json: "a\b\fb", visible: "a\\b\\fb" },
  { name: "NUL and BEL", value: "a\u0000\u0007b", json: "a\u0000\u0007b", visible: "a\\u0000\\u0007b" },
  // A backslash then the letter n is text already: JSON has `\\n`, which must stay as it is.
  { name: "escaped backslash then n", value: "a\\nb", json: "a\\nb", visible: "a\\nb" },
  { name: "two escaped backslashes then n", value: "a\\\\nb", json: "a\\\\nb", visible: "a\\\\nb" },
  // A backslash then a real newline: the backslash stays, the newline becomes visible.
  { name: "backslash then a newline", value: "a\\\nb", json: "a\\\nb", visible: "a\\\\nb" },
  { name: "backslash-u text is not an escape", value: "a\\u001b", json: "a\\u001b", visible: "a\\u001b" },
  { name: "printable text and non-ASCII", value: 'k="é ü ✓ 日本"', json: 'k="é ü ✓ 日本"', visible: 'k="é ü ✓ 日本"' },
];

describe("neutralizeJsonLine", () => {
  for (const c of CASES) {
    it(`${c.name}: JSON keeps the value, pretty gets it as visible text, no raw control character`, () => {
      const line = JSON.stringify({ "log.level": "warn", message: c.value, key: c.value });
      for (const [visible, want] of [
        [false, c.json],
        [true, c.visible],
      ] as const) {
        const out = neutralizeJsonLine(line, visible);
        // Still one line of valid JSON, with no control character of its own.
        expect(out).not.toMatch(CONTROL);
        const parsed = JSON.parse(out) as { message: string; key: string; "log.level": string };
        expect(parsed).toEqual({ "log.level": "warn", message: want, key: want });
        // What the pretty printer prints cannot start a line or drive the terminal.
        if (visible) expect(parsed.message).not.toMatch(CONTROL);
      }
    });
  }

  it("leaves a line without control characters byte for byte, in both modes", () => {
    const line = '{"log.level":"info","@timestamp":"2026-01-02T03:04:05.006Z","message":"s3beat started \\"q\\" \\\\ \\/"}';
    expect(neutralizeJsonLine(line)).toBe(line);
    expect(neutralizeJsonLine(line, true)).toBe(line);
  });

  it("the JSON mode escapes only the C1 range (JSON.stringify leaves those characters raw)", () => {
    const line = JSON.stringify({ message: "x\u0085y\u009fz\u00a0w" });
    expect(line).toContain("\u0085"); // the premise
    expect(neutralizeJsonLine(line)).toBe('{"message":"x\\u0085y\\u009fz\u00a0w"}');
  });
});
