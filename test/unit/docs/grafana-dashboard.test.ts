import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC_DEFINITIONS } from '../../../src/metrics/metric-definitions.js';
import { appWith } from '../../support/app-with.js';
import { seedRecords } from '../../support/fixtures.js';
import { encodeRecord, firehoseBody, firehoseRequest } from '../../support/firehose.js';
import { scrape, type Scrape } from '../../support/prometheus.js';
import { stubSink } from '../../support/stub-sink.js';

interface Target {
  expr: string;
  refId: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  gridPos: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  __inputs: { name: string; type: string; pluginId: string }[];
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: { query: string } | string }[] };
}

const dashboard = JSON.parse(readFileSync(new URL('../../../dashboards/grafana-dynamodb-cdc-sink.json', import.meta.url), 'utf8')) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

interface Matcher {
  metric: string;
  label: string;
  op: string;
  value: string;
}

/** The metric names a PromQL expression reads, and the label matchers it puts on them. */
function parsePromQl(expr: string): { metrics: string[]; matchers: Matcher[]; grouping: string[] } {
  const matchers: Matcher[] = [];
  for (const [, metric = '', body = ''] of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g)) {
    for (const [, label, op, value] of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      matchers.push({ metric, label: label!, op: op!, value: value! });
    }
  }
  const grouping = [...expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const metrics = [...bare.matchAll(/(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)].map((m) => m[1]!).filter((name) => !KEYWORDS.has(name));
  return { metrics, matchers, grouping };
}

/** The definition a series name belongs to (`cdc_x_bucket` → cdc_x), with the labels its samples carry. */
function labelsOf(series: string): Set<string> | undefined {
  for (const definition of Object.values(METRIC_DEFINITIONS)) {
    const suffixes = definition.kind === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    for (const suffix of suffixes) {
      if (series === definition.name + suffix) return new Set([...definition.labelNames, ...(suffix === '_bucket' ? ['le'] : [])]);
    }
  }
  return undefined;
}

describe('the Grafana dashboard', () => {
  let exported: Scrape;

  beforeAll(async () => {
    // A service after real deliveries: applied changes, a dead letter, a refused key, a value kept aside.
    const { app } = appWith(
      stubSink({
        write: async (batch) => ({
          ok: true,
          tables: batch.tables.map((t) => ({ table: t.table, outcomes: t.rows.map(() => ({ outcome: 'applied' as const })), diverted: { type_conflict: 1 } })),
        }),
      }),
    );
    expect((await app.request(firehoseRequest(firehoseBody(seedRecords())))).status).toBe(200);
    expect((await app.request(firehoseRequest(firehoseBody([encodeRecord(`poison ${randomUUID()}`)])))).status).toBe(200);
    expect((await app.request(firehoseRequest(firehoseBody(seedRecords()), { accessKey: 'wrong' }))).status).toBe(401);
    exported = await scrape(app);
  });

  it('is provisionable too: a datasource variable named like the input resolves ${DS_PROMETHEUS} without an import', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }));
  });

  it('is importable: a Prometheus datasource input, a uid, unique panel ids, every query on that datasource', () => {
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of queryPanels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      expect(panel.targets!.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) expect(target.datasource.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });

  it('queries only metrics the service exports, with labels they have and label values it emits', () => {
    const exportedNames = new Set(exported.samples.map((s) => s.name));
    const queries = [
      ...queryPanels.flatMap((p) => p.targets!.map((t) => ({ where: `${p.title} ${t.refId}`, expr: t.expr }))),
      ...dashboard.templating.list
        .filter((v) => v.type === 'query')
        .map((v) => ({ where: `variable ${v.name}`, expr: (v.query as { query: string }).query.replace(/^label_values\((.*),\s*\w+\)$/, '$1') })),
    ];
    for (const { where, expr } of queries) {
      const { metrics, matchers, grouping } = parsePromQl(expr);
      expect(metrics.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const metric of metrics) expect(exportedNames.has(metric), `${where}: ${metric} is not exported`).toBe(true);
      const labels = new Set(metrics.flatMap((m) => [...(labelsOf(m) ?? [])]));
      if (metrics.every((m) => m.startsWith('cdc_'))) {
        for (const label of [...grouping, ...matchers.map((m) => m.label)]) expect(labels.has(label), `${where}: no label ${label}`).toBe(true);
      }
      for (const m of matchers.filter((x) => x.op === '=' && x.metric)) {
        const values = new Set(exported.samples.filter((s) => s.name === m.metric || s.name.startsWith(`${m.metric}_`)).map((s) => s.labels[m.label] ?? ''));
        expect(values.has(m.value), `${where}: ${m.metric} never has ${m.label}="${m.value}"`).toBe(true);
      }
    }
  });

  it('charts ingest rate, lag, errors and dead letters per table, latency and in-flight deliveries', () => {
    const exprs = queryPanels.flatMap((p) => p.targets!.map((t) => t.expr));
    const some = (pattern: RegExp) => exprs.some((e) => pattern.test(e));
    expect(some(/sum by \(table\) \(rate\(cdc_records_total\{outcome="applied"/)).toBe(true);
    expect(some(/histogram_quantile\(0\.95, sum by \(le, table\) \(rate\(cdc_replication_lag_seconds_bucket/)).toBe(true);
    expect(some(/cdc_newest_applied_change_timestamp_seconds/)).toBe(true);
    expect(some(/sum by \(table\) \(increase\(cdc_records_total\{outcome="dead_lettered"/)).toBe(true);
    expect(some(/cdc_deliveries_total\{status!="200"\}/)).toBe(true);
    expect(some(/cdc_sink_errors_total/)).toBe(true);
    expect(some(/cdc_delivery_duration_seconds_bucket/)).toBe(true);
    expect(some(/cdc_deliveries_in_flight/)).toBe(true);
    // Records add up: no panel filters a non-record outcome out of cdc_records_total, diverted values have their own counter.
    expect(exprs.some((e) => /cdc_records_total\{[^}]*diverted/.test(e))).toBe(false);
    expect(some(/sum by \(table, reason\) \(increase\(cdc_values_diverted_total/)).toBe(true);
  });

  it('reads PromQL as intended (the checker itself)', () => {
    const parsed = parsePromQl('histogram_quantile(0.95, sum by (le, table) (rate(cdc_replication_lag_seconds_bucket{table=~"$table"}[$__rate_interval])))');
    expect(parsed).toEqual({
      metrics: ['cdc_replication_lag_seconds_bucket'],
      matchers: [{ metric: 'cdc_replication_lag_seconds_bucket', label: 'table', op: '=~', value: '$table' }],
      grouping: ['le', 'table'],
    });
    expect(parsePromQl('time() - max by (table) (cdc_x{a="b"}) / on (table) up').metrics).toEqual(['cdc_x', 'up']);
  });
});
