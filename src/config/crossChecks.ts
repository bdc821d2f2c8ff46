/** Rules spanning several keys. They read the raw values so they run even when other keys are invalid. */
import { fileSelectorShape, multilineShape, retryBackoffShape, s3beatShape } from "./beatShape.ts";
import { DEFAULT_LOGSTASH_PORT, ENCRYPTED_SECRET_RE, encryptedSecretAdvice } from "./checks.ts";
import { optionalText, peek, regexOrOff } from "./fields.ts";
import { isRec, rec, type Rec, type SchemaIssue } from "./issues.ts";
import { enabledFlag, logstashBackoffShape, logstashShape, logstashSslShape } from "./outputShape.ts";
import { formatDuration } from "./units.ts";

export function crossChecks(raw: Rec, sourceName?: string): { errors: SchemaIssue[]; warnings: SchemaIssue[] } {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const s = rec(raw.s3beat);
  const given = (k: "accessKeyID" | "secretAccessKey") => {
    const v = peek(s3beatShape[k], s[k]);
    return v !== undefined && v !== "" ? v : undefined;
  };

  const id = given("accessKeyID");
  const key = given("secretAccessKey");
  for (const [name, v] of [
    ["accessKeyID", id],
    ["secretAccessKey", key],
  ] as const) {
    if (v !== undefined && ENCRYPTED_SECRET_RE.test(v)) {
      errors.push({
        path: `s3beat.${name}`,
        message: `looks encrypted by LogRhythm tooling, which s3beat cannot decrypt: ${encryptedSecretAdvice(name, sourceName)}`,
      });
    }
  }
  const awsFlag = peek(s3beatShape.awsFlag, s.awsFlag);
  if (awsFlag === false && (id === undefined) !== (key === undefined)) {
    const [present, absent] = id !== undefined ? ["accessKeyID", "secretAccessKey"] : ["secretAccessKey", "accessKeyID"];
    errors.push({
      path: `s3beat.${present}`,
      message: `is set but ${absent} is not: give both keys, or neither (awsFlag: true uses the AWS default credential chain)`,
    });
  }
  if (awsFlag === true) {
    for (const [name, v] of [
      ["accessKeyID", id],
      ["secretAccessKey", key],
    ] as const) {
      if (v !== undefined) warnings.push({ path: `s3beat.${name}`, message: "ignored because awsFlag is true" });
    }
  }

  const roles = peek(s3beatShape.roleArn, s.roleArn);
  const assume = peek(s3beatShape.assumeRoleFlag, s.assumeRoleFlag);
  const queues = peek(s3beatShape.sqsQueues, s.sqsQueues);
  if (assume === true && roles !== undefined && roles.length === 0) {
    errors.push({
      path: s.roleArn === undefined ? "s3beat.assumeRoleFlag" : "s3beat.roleArn",
      message: `assumeRoleFlag is true but roleArn is empty: list the role to assume, e.g. roleArn: ["arn:aws:iam::123456789012:role/s3beat-reader"]`,
    });
  }
  if (assume === true && roles && queues && roles.length > 1 && roles.length !== queues.length) {
    errors.push({
      path: "s3beat.roleArn",
      message: `lists ${roles.length} roles for ${queues.length} queues: give one role for every queue, or exactly one per sqsQueues entry, in the same order`,
    });
  }
  if (assume === false && roles && roles.length > 0) {
    warnings.push({ path: "s3beat.roleArn", message: "ignored because assumeRoleFlag is false" });
  }

  errors.push(...decoderChecks(s));

  const backoff = rec(s.retryBackoff);
  const init = peek(retryBackoffShape.init, backoff.init);
  const max = peek(retryBackoffShape.max, backoff.max);
  if (init !== undefined && max !== undefined && max < init) {
    errors.push({
      path: "s3beat.retryBackoff.max",
      message: `must be at least retryBackoff.init (${formatDuration(init)}), got ${formatDuration(max)}`,
    });
  }

  const outputs = outputChecks(raw);
  errors.push(...outputs.errors);
  warnings.push(...outputs.warnings);
  return { errors, warnings };
}

/** What a decoder rule needs to know about one option: its value, and whether it was inherited. */
interface Resolved<T> {
  value: T | undefined;
  inherited: boolean;
}

/**
 * expandEventListFromField needs decoder json and multiline needs decoder lines, at the top level and
 * in each file selector after inheritance (where an inherited option can be switched off with "").
 */
function decoderChecks(s: Rec): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const top = {
    decoder: peek(s3beatShape.decoder, s.decoder),
    expand: peek(s3beatShape.expandEventListFromField, s.expandEventListFromField),
    pattern: peek(multilineShape.pattern, rec(s.multiline).pattern),
  };
  const check = (at: string, decoder: string | undefined, expand: Resolved<unknown>, pattern: Resolved<unknown>) => {
    if (decoder === undefined) return;
    const rule = (option: string, needs: string, r: Resolved<unknown>) => {
      if (decoder === needs || r.value === undefined) return;
      issues.push(
        r.inherited
          ? {
              path: `${at}.decoder`,
              message: `decoder ${decoder} cannot use the ${option} inherited from s3beat (it needs decoder: ${needs}); set ${option}: "" in this selector`,
            }
          : { path: `${at}.${option}`, message: `only applies to decoder: ${needs} (decoder is ${decoder}); remove it or change the decoder` },
      );
    };
    rule("expandEventListFromField", "json", expand);
    rule("multiline.pattern", "lines", pattern);
  };
  check("s3beat", top.decoder, { value: top.expand, inherited: false }, { value: top.pattern, inherited: false });

  const selectors = Array.isArray(s.fileSelectors) ? s.fileSelectors : [];
  selectors.forEach((raw, i) => {
    const sel = rec(raw);
    const ml = rec(sel.multiline);
    // An own value that is invalid is zod's to report; here it just resolves to undefined.
    const own = <T>(has: boolean, value: () => T | undefined, inherited: T | undefined): Resolved<T> =>
      has ? { value: value(), inherited: false } : { value: inherited, inherited: true };
    const decoder = "decoder" in sel ? peek(fileSelectorShape.decoder, sel.decoder) : top.decoder;
    const expand = own("expandEventListFromField" in sel, () => peek(optionalText, sel.expandEventListFromField), top.expand);
    const pattern = own("pattern" in ml, () => peek(regexOrOff, ml.pattern) ?? undefined, top.pattern);
    check(`s3beat.fileSelectors[${i}]`, decoder, expand, pattern);
  });
  return issues;
}

const OUTPUTS = ["logstash", "console", "file"] as const;

function outputChecks(raw: Rec): { errors: SchemaIssue[]; warnings: SchemaIssue[] } {
  const out = rec(raw.output);
  const enabled = (name: string) => isRec(out[name]) && peek(enabledFlag, out[name].enabled) !== false;
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  if (enabled("logstash")) {
    const checked = logstashChecks(rec(out.logstash));
    errors.push(...checked.errors);
    warnings.push(...checked.warnings);
  }
  const path = rec(out.file).path;
  if (enabled("file") && (path === undefined || path === "")) {
    errors.push({ path: "output.file.path", message: "required: the directory to write the files to" });
  }
  const active = OUTPUTS.filter(enabled);
  if (active.length > 1) {
    errors.push({
      path: "output",
      message: `only one output may be enabled, found ${active.map((n) => `output.${n}`).join(" and ")}; set enabled: false on all but one`,
    });
  } else if (active.length === 0) {
    errors.push({ path: "output", message: "no output configured: add output.logstash, output.console or output.file" });
  }
  return { errors, warnings };
}

/** output.logstash rules spanning keys: hosts required, backoff order, client certificate and key together. */
function logstashChecks(ls: Rec): { errors: SchemaIssue[]; warnings: SchemaIssue[] } {
  const errors: SchemaIssue[] = [];
  const warnings: SchemaIssue[] = [];
  const at = "output.logstash";
  if (ls.hosts === undefined) {
    errors.push({ path: `${at}.hosts`, message: `required: list the collectors' Beats inputs, e.g. hosts: ["opencollector:${DEFAULT_LOGSTASH_PORT}"]` });
  } else if (peek(logstashShape.hosts, ls.hosts)?.length === 0) {
    errors.push({ path: `${at}.hosts`, message: `list at least one host, e.g. hosts: ["opencollector:${DEFAULT_LOGSTASH_PORT}"]` });
  }
  const backoff = rec(ls.backoff);
  const init = peek(logstashBackoffShape.init, backoff.init);
  const max = peek(logstashBackoffShape.max, backoff.max);
  if (init !== undefined && max !== undefined && max < init) {
    errors.push({ path: `${at}.backoff.max`, message: `must be at least backoff.init (${formatDuration(init)}), got ${formatDuration(max)}` });
  }
  const ssl = rec(ls.ssl);
  if (isRec(ls.ssl) && peek(logstashSslShape.enabled, ssl.enabled) !== false) {
    const cert = peek(logstashSslShape.certificate, ssl.certificate);
    const key = peek(logstashSslShape.key, ssl.key);
    if ((cert === undefined) !== (key === undefined)) {
      const [present, absent] = cert !== undefined ? ["certificate", "key"] : ["key", "certificate"];
      errors.push({ path: `${at}.ssl.${present}`, message: `is set but ssl.${absent} is not: a client certificate needs both the certificate and its key` });
    }
    if (peek(logstashSslShape.verification_mode, ssl.verification_mode) === "none") {
      warnings.push({ path: `${at}.ssl.verification_mode`, message: "none: the collector's certificate is not checked; use it only for tests" });
    }
  }
  return { errors, warnings };
}
