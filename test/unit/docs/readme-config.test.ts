import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema, loadConfig } from '../../../src/config/config.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const table = readme.slice(readme.indexOf('<!-- config-table:start -->'), readme.indexOf('<!-- config-table:end -->'));
const rows = [...table.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => ({ name: m[1]!, fallback: m[2]!.trim() }));

describe('README configuration table', () => {
  it('lists exactly the variables the config schema reads', () => {
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(envSchema.shape).sort());
  });

  it('states the defaults the schema applies', () => {
    const parsed = envSchema.parse({});
    for (const { name, fallback } of rows) {
      const actual = parsed[name as keyof typeof parsed];
      if (fallback === '(none)') expect(actual, name).toBeUndefined();
      else expect(`\`${String(actual)}\``, name).toBe(fallback);
    }
  });

  it('matches what the two README commands rely on', () => {
    expect(readme).toContain('npm ci && ACCESS_KEY=dev-secret npm start');
    const result = loadConfig({ ACCESS_KEY: 'dev-secret' });
    expect(result.ok && result.config.port).toBe(8080);
  });
});
