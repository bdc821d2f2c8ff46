/**
 * migrate/source.ts reads a file once: the comments it finds in every kind of CST token (inline
 * comments are where migrations must not insert), the `...` end marker, and the refusals.
 */
import { describe, expect, it } from "vitest";
import { commentOffsets, parseSource } from "../../src/migrate/source.ts";

/** Offsets of the `# cN` comments of a text (a `#` inside a block scalar is text, not a comment). */
const marked = (text: string) => [...text.matchAll(/# c\d+/g)].map((m) => m.index);

describe("parseSource: comments and the end marker, from one parse", () => {
  it.each<[string, string]>([
    ["directives, document start and end", "%YAML 1.2\n# c0\n--- # c1\na: 1 # c2\n... # c3\n# c4\n"],
    ["flow collections", "a: [1, # c0\n  2] # c1\nb: { x: 1, # c2\n  y: 2 } # c3\n"],
    ["a block scalar's header, not its text", "c: | # c0\n  text # not a comment\n# c1\nd: 1\n"],
    ["anchors, aliases and explicit keys", "d: &a # c0\n  e: 1\nf: *a # c1\n? # c2\n  k\n: v # c3\n"],
    ["quoted scalars and sequences", "s:\n  - 'b' # c0\n  - \"c\" # c1\n  -\n    # c2\n    - d\n"],
    ["a file of comments around a key", "# c0\n\n# c1\nkey: value\n# c2"],
  ])("%s", (_name, text) => {
    const parsed = parseSource(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.source.comments).toEqual(marked(text));
    expect(commentOffsets(text)).toEqual(marked(text));
  });

  it.each<[string, string, number | undefined]>([
    ["no marker", "a: 1\n", undefined],
    ["a marker", "a: 1\n...\n", 5],
    ["a marker after a comment", "a: 1\n# c\n...\n", 9],
  ])("the end marker: %s", (_name, text, offset) => {
    const parsed = parseSource(text);
    expect(parsed.ok && parsed.source.documentEnd).toBe(offset);
  });

  it("a second document is refused at its place", () => {
    const parsed = parseSource("a: 1\n---\nb: 2\n");
    expect(parsed).toEqual({
      ok: false,
      problems: [{ path: "", line: 2, column: 1, message: "the file holds more than one YAML document (a second ---); s3beat reads exactly one" }],
    });
  });
});
