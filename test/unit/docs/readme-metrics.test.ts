import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC_DEFINITIONS } from '../../../src/metrics/metric-definitions.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const table = readme.slice(readme.indexOf('<!-- metrics-table:start -->'), readme.indexOf('<!-- metrics-table:end -->'));
const rows = [...table.matchAll(/^\| `([a-z_]+)` \| (\w+) \|([^|]*)\|/gm)].map((m) => ({
  name: m[1]!,
  kind: m[2]!,
  labels: [...m[3]!.matchAll(/`(\w+)`/g)].map((l) => l[1]!),
}));

describe('README metrics table', () => {
  it('lists exactly the metrics the service defines, with their types and labels', () => {
    const defined = Object.values(METRIC_DEFINITIONS).map((d) => ({ name: d.name, kind: d.kind, labels: [...d.labelNames] }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(rows.sort(byName)).toEqual(defined.sort(byName));
  });
});
