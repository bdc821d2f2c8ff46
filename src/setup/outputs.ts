/**
 * The outputs the setup offers. Each entry carries its choice label, its follow-up questions and the
 * YAML section it writes, so adding one (output.logstash with a host:port list, once it exists) means
 * adding its answer fields to OutputAnswers and one entry to OUTPUTS — nothing else changes.
 */
import { statSync } from "node:fs";
import { parseLogstashHost } from "../config/schema.ts";
import type { Answers, Choice, QuestionSpec } from "./spec.ts";
import { commented, quote } from "./yamlText.ts";

/** Answers asked only for some outputs. */
export interface OutputAnswers {
  /** output.file: the directory of the files. */
  outputPath: string;
  /** output.logstash: the collectors' Beats inputs, as "host:port". */
  outputHosts: string[];
}

interface OutputEntry {
  /** The choice as the terminal shows it. */
  label: string;
  /** Follow-up questions (without `when`): the flow asks them only when this output is chosen. */
  questions: readonly QuestionSpec[];
  /** The `output.*` section, one line per key. */
  render: (a: Answers) => string[];
}

function checkHosts(text: string): string[] {
  const entries = text.split(",").map((e) => e.trim()).filter((e) => e !== "");
  if (entries.length === 0) throw new Error("enter at least one collector as host:port, e.g. opencollector:5044");
  return entries.map((e) => {
    const h = parseLogstashHost(e);
    return h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
  });
}

function checkDirectory(text: string): string {
  const path = text.trim();
  if (path === "") throw new Error("enter the directory to write the event files to");
  if (/[\u0000-\u001f]/.test(path)) throw new Error("must not contain control characters");
  let isFile = false;
  try {
    isFile = !statSync(path).isDirectory();
  } catch {
    // Missing is fine: the file output creates the directory.
  }
  if (isFile) throw new Error(`${path} exists and is not a directory`);
  return path;
}

const OUTPUTS_TABLE = {
  console: {
    label: "console (JSON lines on stdout)",
    questions: [],
    render: () => [
      "output.console:",
      commented("  enabled: true", "exactly one output is enabled"),
      commented("  pretty: false", "true: indented JSON instead of one line per event"),
    ],
  },
  file: {
    label: "file (JSON lines in rotated files)",
    questions: [
      {
        key: "outputPath",
        kind: "input",
        message: "Directory for the output files (created if missing):",
        parse: checkDirectory,
      },
    ],
    render: (a) => [
      "output.file:",
      commented("  enabled: true", "exactly one output is enabled"),
      commented(`  path: ${quote(a.outputPath)}`, "directory of the files (created if missing)"),
      commented("  filename: s3beat", "active file name; rotated ones get .1, .2, ..."),
      commented("  rotate_every_kb: 10240", "rotate before the file would grow past this many KiB"),
      commented("  number_of_files: 7", "2..1024 files kept, the active one included"),
      commented('  permissions: "0600"', "octal mode of the files created"),
    ],
  },
  logstash: {
    label: "logstash (Beats protocol to Logstash or the LogRhythm Open Collector)",
    questions: [
      {
        key: "outputHosts",
        kind: "input",
        message: "Collector host(s), comma-separated host:port (port 5044 when omitted):",
        parse: checkHosts,
      },
    ],
    render: (a) => [
      "output.logstash:",
      commented("  enabled: true", "exactly one output is enabled"),
      commented(`  hosts: [${a.outputHosts.map((h) => quote(h)).join(", ")}]`, "the collectors' Beats inputs"),
      commented("  loadbalance: false", "true: spread events over every host at once"),
      commented("  compression_level: 3", "0..9 zlib level; 0 sends plain JSON frames"),
      commented("  timeout: 30s", "no ACK or keep-alive for this long: reconnect and re-send"),
      '  #ssl.certificate_authorities: ["/etc/s3beat/collector-ca.pem"]   # when the collector uses TLS',
    ],
  },
} satisfies Record<string, OutputEntry>;

/** The output kinds the setup can write. */
export type OutputKind = keyof typeof OUTPUTS_TABLE;

/** Output kind → its label, follow-up questions and renderer. */
export const OUTPUTS: Readonly<Record<OutputKind, OutputEntry>> = OUTPUTS_TABLE;

/** The choices of the output question, in the order shown. */
export const OUTPUT_CHOICES: readonly Choice[] = Object.entries(OUTPUTS).map(([value, o]) => ({ value, name: o.label }));

/** Every output's follow-up questions, in table order, each conditioned on its output being chosen. */
export const OUTPUT_QUESTIONS: readonly QuestionSpec[] = Object.entries(OUTPUTS).flatMap(([kind, o]) =>
  o.questions.map((q) => ({ ...q, when: { key: "output", is: kind } })),
);

/** Text → output kind, or an Error listing the kinds. */
export function parseOutputKind(text: string): OutputKind {
  const t = text.trim().toLowerCase();
  if (Object.hasOwn(OUTPUTS, t)) return t as OutputKind;
  throw new Error(`expected one of ${Object.keys(OUTPUTS).join(", ")}`);
}
