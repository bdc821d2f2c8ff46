/**
 * Reads s3beat.yml into `Settings`. The YAML AST is walked here (not `toJS()`) so that libbeat dotted
 * keys can be merged with their nested form and every problem, schema ones included, carries the
 * line and column of the key it is about. All problems are collected and thrown together.
 */
import { yamlErrorMessage } from "./yamlErrors.ts";
import { readFile, stat } from "node:fs/promises";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { YAMLMap } from "yaml";
import { notUsedKey, notUsedMessage, UNKNOWN_KEY_MESSAGE } from "./knownKeys.ts";
import { exposedSecretsMessage, literalSecrets } from "./permissions.ts";
import type { ConfigProblem, SchemaIssue } from "./issues.ts";
import { validateConfig } from "./validate.ts";
import type { Settings } from "./settings.ts";
import { buildTree, type Position } from "./yamlTree.ts";

export type { ConfigProblem } from "./issues.ts";

export interface LoadedConfig {
  settings: Settings;
  /** Not fatal: unknown keys, ignored settings. */
  warnings: ConfigProblem[];
  /** Resolved credential values, for the logger to redact wherever they appear. */
  secrets: string[];
  /** The file's `configVersion` (0 when absent); below CURRENT_CONFIG_VERSION, migrate-config has work to do. */
  configVersion: number;
}

/** `s3beat.yml:12:5 s3beat.visibilityTimeout: expected a duration …` */
export function formatProblem(p: ConfigProblem, sourceName: string): string {
  const where = p.line === undefined ? sourceName : `${sourceName}:${p.line}:${p.column ?? 1}`;
  return p.path === "" ? `${where} ${p.message}` : `${where} ${p.path}: ${p.message}`;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  /** Warnings found along the way (e.g. a misspelt key behind a "required" error); not in the message. */
  readonly warnings: ConfigProblem[];
  readonly sourceName: string;
  constructor(problems: ConfigProblem[], sourceName: string, warnings: ConfigProblem[] = []) {
    const n = problems.length;
    super(`cannot load ${sourceName} (${n} problem${n === 1 ? "" : "s"}):\n` + problems.map((p) => `  ${formatProblem(p, sourceName)}`).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
    this.sourceName = sourceName;
    this.warnings = warnings;
  }
}

export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? `config file not found. Create it with \`s3beat setup -c ${path}\`, or copy config/s3beat.example.yml there and edit it`
        : `cannot read the config file: ${(e as Error).message}`;
    throw new ConfigError([{ path: "", message }], path);
  }
  // The mode of the file itself (through a symlink): a literal secret in it must not be readable by others.
  const fileMode = await stat(path).then(
    (s) => s.mode,
    () => undefined,
  );
  return loadConfigText(text, path, env, { fileMode });
}

export interface LoadOptions {
  /** The file's mode, when it was read from a file: warns when it exposes a secret written in it. */
  fileMode?: number;
}

export function loadConfigText(text: string, sourceName: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadedConfig {
  const lineCounter = new LineCounter();
  // uniqueKeys off: duplicates are detected by the walker, which also sees dotted/nested duplicates.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const yamlProblems = (list: typeof doc.errors) =>
    list.map((e) => ({
      path: "",
      ...at(e.pos[0]),
      message: yamlErrorMessage(e),
    }));
  if (doc.errors.length > 0) throw new ConfigError(yamlProblems(doc.errors), sourceName);

  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    throw new ConfigError([{ path: "", line: 1, column: 1, message: EMPTY_MESSAGE }], sourceName);
  }
  if (!isMap(contents)) {
    const found = isSeq(contents) ? "a list" : "a single value";
    const message = `the top level must be a mapping of keys (s3beat:, output.*, logging.*), found ${found}`;
    throw new ConfigError([{ path: "", ...at(contents.range?.[0] ?? 0), message }], sourceName);
  }

  const tree = buildTree(doc, contents, at, env);
  const validation = validateConfig(withEnvironmentDefaults(tree.root, env), env, sourceName);
  const place = (i: SchemaIssue): ConfigProblem => ({ ...i, ...tree.positionOf(i.path) });
  const isUnder = (path: string, roots: string[]) => roots.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));

  // A missing variable inside an unknown key does not matter: the key is ignored anyway.
  const envErrors = tree.envProblems.filter((p) => !isUnder(p.path, validation.unknownKeys));
  const envPaths = envErrors.map((p) => p.path);
  const problems = [
    ...tree.problems,
    ...envErrors,
    // A value whose variable is missing would only fail again as "not a duration" etc.
    ...validation.errors.filter((i) => !isUnder(i.path, envPaths)).map(place),
  ];
  const warnings = sortByLine([
    ...yamlProblems(doc.warnings),
    // libbeat's and LogRhythm's own keys are "not used", only the others may be misspelt (knownKeys.ts).
    ...validation.unknownKeys.map((path) => {
      const known = notUsedKey(path);
      return place({ path, message: known ? notUsedMessage(known) : UNKNOWN_KEY_MESSAGE });
    }),
    ...validation.warnings.map(place),
    ...exposedSecrets(contents, options.fileMode, sourceName, at),
  ]);
  if (problems.length > 0 || validation.settings === undefined) {
    throw new ConfigError(sortByLine(problems), sourceName, warnings);
  }

  const { accessKeyId, secretAccessKey } = validation.settings.s3beat;
  const secrets = [accessKeyId, secretAccessKey].filter((s): s is string => s !== undefined && s !== "");
  return { settings: validation.settings, warnings, secrets, configVersion: validation.configVersion ?? 0 };
}

/** The warning for a file whose mode lets other users read the secrets written in it (none or one). */
function exposedSecrets(top: YAMLMap, mode: number | undefined, sourceName: string, at: (offset: number) => Position): ConfigProblem[] {
  if (mode === undefined) return [];
  const secrets = literalSecrets(top);
  const message = exposedSecretsMessage(secrets, mode, sourceName);
  return message === undefined ? [] : [{ path: secrets[0]!.path, ...at(secrets[0]!.offset), message }];
}

const EMPTY_MESSAGE = "the file is empty: it needs at least an s3beat: section with sqsQueues and an output (see config/s3beat.example.yml)";

function sortByLine(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.toSorted((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
}

/**
 * Settings a deployment may default from the environment when the file does not set them: the
 * container image turns the monitoring endpoint on (S3BEAT_HTTP_ENABLED=true) for its HEALTHCHECK
 * without touching the operator's file. A key in the file always wins.
 */
export const ENVIRONMENT_DEFAULTS = [
  ["S3BEAT_HTTP_ENABLED", "http", "enabled"],
  ["S3BEAT_HTTP_HOST", "http", "host"],
  ["S3BEAT_HTTP_PORT", "http", "port"],
] as const;

function withEnvironmentDefaults(root: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  let out = root;
  for (const [name, section, key] of ENVIRONMENT_DEFAULTS) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const current = out[section];
    if (current !== undefined && (typeof current !== "object" || current === null || key in current)) continue;
    out = { ...out, [section]: { ...(current as Record<string, unknown> | undefined), [key]: value } };
  }
  return out;
}
