import type { YAMLError } from "yaml";

/**
 * yaml's messages for some errors quote the offending characters, which may be part of a secret:
 * those codes get a message of our own (the loader and migrate-config both use it).
 */
const YAML_MESSAGES: Partial<Record<string, string>> = {
  BAD_DQ_ESCAPE: "invalid escape sequence in a double-quoted string (use single quotes for regexes and backslashes)",
  MULTIPLE_DOCS: "the file holds more than one YAML document (a second ---); s3beat reads exactly one",
};

/** The message to show for a YAML syntax error or warning. */
export function yamlErrorMessage(e: Pick<YAMLError, "code" | "message">): string {
  return YAML_MESSAGES[e.code] ?? e.message;
}
