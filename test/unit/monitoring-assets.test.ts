/**
 * The Grafana dashboard (deploy/grafana/s3beat.json) and the Prometheus alert rules
 * (deploy/prometheus/s3beat-alerts.yml) name metrics by string; this test scrapes the real /metrics
 * endpoint and fails when either names an s3beat_ metric the daemon does not expose (a rename in
 * src/telemetry/metrics.ts would otherwise silently blank a panel or disarm an alert).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { HttpEndpoint } from "../../src/http/server.ts";
import { Health } from "../../src/telemetry/health.ts";
import { Metrics } from "../../src/telemetry/metrics.ts";

const DASHBOARD = fileURLToPath(new URL("../../deploy/grafana/s3beat.json", import.meta.url));
const ALERTS = fileURLToPath(new URL("../../deploy/prometheus/s3beat-alerts.yml", import.meta.url));

const ROWS = ["Overview", "SQS", "S3 & events", "Output", "Credentials", "Process"];
const REQUIRED_ALERTS = [
  "S3beatBacklogGrowing",
  "S3beatOldestMessageAgeing",
  "S3beatDeadLetterQueueNotEmpty",
  "S3beatCredentialsNearExpiry",
  "S3beatOutputDown",
  "S3beatReceiveErrors",
  "S3beatDown",
];
/** Alerts that deliberately fire at once (see the comment on the rule). */
const WITHOUT_FOR = new Set(["S3beatDeadLetterQueueNotEmpty"]);

/** Names a Prometheus text exposition makes queryable: each `# TYPE` name, plus the series of a histogram or summary. */
function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (!m) continue;
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
  }
  return names;
}

/** The s3beat_ metric names an expression uses. */
function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\bs3beat_[a-z0-9_]+/g) ?? [])];
}

/** The s3beat_ names of `expr` that are not in `exposed`. */
function unknownMetrics(expr: string, exposed: ReadonlySet<string>): string[] {
  return metricNames(expr).filter((n) => !exposed.has(n));
}

/** Every `expr` string anywhere below `node` (panel targets, nested row panels). */
function collectExprs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) collectExprs(v, out);
  else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "expr" && typeof v === "string") out.push(v);
      else collectExprs(v, out);
    }
  }
  return out;
}

interface Panel {
  id?: number;
  type: string;
  title?: string;
  targets?: unknown[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string } };
}

interface Dashboard {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

interface AlertRule {
  alert?: string;
  record?: string;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** The non-row panels under each row title, whether the row is expanded (panels follow it) or collapsed (panels inside it). */
function panelsByRow(panels: Panel[]): Map<string, Panel[]> {
  const rows = new Map<string, Panel[]>();
  let current: Panel[] = [];
  rows.set("(before the first row)", current);
  for (const p of panels) {
    if (p.type === "row") {
      current = [...(p.panels ?? [])];
      rows.set(p.title ?? "", current);
    } else current.push(p);
  }
  return rows;
}

describe("monitoring assets", () => {
  let http: HttpEndpoint;
  let exposed: Set<string>;
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;
  const alerts = parse(readFileSync(ALERTS, "utf8")) as { groups: { name: string; rules: AlertRule[] }[] };
  const rules = alerts.groups.flatMap((g) => g.rules);

  beforeAll(async () => {
    const metrics = new Metrics({ version: "test" });
    const health = new Health({ receiveStallMs: 60_000 });
    http = new HttpEndpoint({ host: "127.0.0.1", port: 0, health, metrics, info: () => ({}) });
    const addr = await http.listen();
    const res = await fetch(`http://127.0.0.1:${addr.port}/metrics`);
    expect(res.status).toBe(200);
    exposed = exposedNames(await res.text());
  });

  afterAll(async () => {
    await http?.close();
  });

  it("scrapes the metrics the assets rely on", () => {
    for (const n of [
      "s3beat_events_acked_total",
      "s3beat_sqs_queue_messages",
      "s3beat_sqs_receive_duration_seconds_bucket",
      "s3beat_process_resident_memory_bytes",
    ]) {
      expect(exposed, n).toContain(n);
    }
  });

  it("the extractor reports a made-up metric as unknown", () => {
    const expr = 'sum(rate(s3beat_not_a_metric_total{queue="q"}[5m])) / sum(rate(s3beat_events_acked_total[5m]))';
    expect(unknownMetrics(expr, exposed)).toEqual(["s3beat_not_a_metric_total"]);
    expect(unknownMetrics('up{job=~".*s3beat.*"} == 0', exposed)).toEqual([]);
  });

  describe("Grafana dashboard", () => {
    const exprs = collectExprs(dashboard.panels);

    it("uses only exposed s3beat metrics", () => {
      const unknown = [...new Set(exprs.flatMap((e) => unknownMetrics(e, exposed)))];
      expect(unknown, `dashboard uses metrics /metrics does not expose: ${unknown.join(", ")}`).toEqual([]);
      const vars = dashboard.templating.list.map((v) => v.definition ?? (typeof v.query === "string" ? v.query : "")).join("\n");
      expect(unknownMetrics(vars, exposed), "template variable queries").toEqual([]);
    });

    it("covers a non-trivial set of metrics", () => {
      expect(exprs.length).toBeGreaterThan(20);
      expect(new Set(exprs.flatMap(metricNames)).size).toBeGreaterThanOrEqual(15);
    });

    it("has every row with at least one panel, each with a unit and a target", () => {
      const rows = panelsByRow(dashboard.panels);
      for (const title of ROWS) expect(rows.get(title)?.length ?? 0, `row "${title}"`).toBeGreaterThan(0);
      const all = [...rows.values()].flat();
      for (const p of all) {
        expect(p.fieldConfig?.defaults?.unit, `unit of "${p.title}"`).toBeTruthy();
        expect(p.targets?.length ?? 0, `targets of "${p.title}"`).toBeGreaterThan(0);
      }
      const ids = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((p) => p.id);
      expect(new Set(ids).size, "panel ids are unique").toBe(ids.length);
    });

    it("has a Prometheus datasource variable and the instance and queue variables", () => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
      const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
      expect(vars.get("datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
      for (const name of ["instance", "queue"]) expect(vars.get(name)?.definition, name).toMatch(/^label_values\(/);
    });
  });

  describe("Prometheus alert rules", () => {
    it("has the required alerts, uniquely named", () => {
      const names = rules.map((r) => r.alert);
      for (const n of REQUIRED_ALERTS) expect(names, n).toContain(n);
      expect(new Set(names).size).toBe(names.length);
    });

    it("every rule is complete", () => {
      for (const r of rules) {
        const name = r.alert ?? "(unnamed)";
        expect(r.alert, "alert name").toMatch(/^S3beat[A-Za-z]+$/);
        expect(typeof r.expr === "string" && r.expr.trim() !== "", `${name}: expr`).toBe(true);
        if (WITHOUT_FOR.has(name)) expect(r.for, `${name}: for is deliberately absent`).toBeUndefined();
        else expect(r.for, `${name}: for`).toMatch(/^\d+[smhdwy]$/);
        expect(r.labels?.severity, `${name}: labels.severity`).toMatch(/^(critical|warning|info)$/);
        for (const a of ["summary", "description"]) {
          const v = r.annotations?.[a];
          expect(typeof v === "string" && v.trim().length > 10, `${name}: annotations.${a}`).toBe(true);
        }
      }
    });

    it("uses only exposed s3beat metrics", () => {
      const unknown = rules.flatMap((r) => unknownMetrics(String(r.expr), exposed).map((n) => `${r.alert}: ${n}`));
      expect(unknown, `alert rules use metrics /metrics does not expose: ${unknown.join(", ")}`).toEqual([]);
      // Every rule but the scrape check is about s3beat's own metrics.
      for (const r of rules) if (r.alert !== "S3beatDown") expect(metricNames(String(r.expr)).length, `${r.alert}`).toBeGreaterThan(0);
    });
  });
});
