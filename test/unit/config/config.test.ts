import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      accessKeys: [],
      allowUnauthenticated: false,
      deliveryTimeoutMs: 90_000,
      sink: { url: undefined, pgliteDir: './data/pglite', schema: 'public', deadLetterTable: 'cdc_dead_letters', changeLog: false },
    });
    expect(result.config.maxBodyBytes).toBeGreaterThan(64 * 1024 * 1024);
  });

  it('reports every problem at once', () => {
    const result = loadConfig({ PORT: 'eighty', SINK_URL: 'mysql://x', TABLE_MAP: 'a=B-ad,c', CHANGE_LOG: 'maybe', MAX_BODY_BYTES: '1000' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const named = result.problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(expect.arrayContaining(['PORT', 'SINK_URL', 'TABLE_MAP', 'CHANGE_LOG', 'MAX_BODY_BYTES']));
    expect(result.problems.find((p) => p.startsWith('TABLE_MAP'))).toContain('a=B-ad, c');
  });

  it('splits access keys for rotation and parses the table map', () => {
    const result = loadConfig({ ACCESS_KEY: ' old , new ', TABLE_MAP: 'table-testdrive=readings, *=transactions' });
    expect(result.ok && result.config.accessKeys).toEqual(['old', 'new']);
    expect(result.ok && [...result.config.tableMap]).toEqual([
      ['table-testdrive', 'readings'],
      ['*', 'transactions'],
    ]);
  });

  it('treats empty variables as unset and freezes the result', () => {
    const result = loadConfig({ PORT: '', SINK_URL: '' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.port).toBe(8080);
    expect(result.config.sink.url).toBeUndefined();
    expect(Object.isFrozen(result.config) && Object.isFrozen(result.config.sink)).toBe(true);
  });

  it('refuses an access key longer than Firehose allows', () => {
    const result = loadConfig({ ACCESS_KEY: 'k'.repeat(4097) });
    expect(result.ok ? [] : result.problems).toEqual(['ACCESS_KEY: each key is at most 4096 bytes']);
  });
});
