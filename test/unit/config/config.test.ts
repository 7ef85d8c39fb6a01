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
      // The schema default depends on the sink: `public` in PostgreSQL, `doc` (or the URL's) in CrateDB.
      sink: { url: undefined, pgliteDir: './data/pglite', schema: undefined, deadLetterTable: 'cdc_dead_letters', changeLog: false },
    });
    expect(result.config.maxBodyBytes).toBeGreaterThan(64 * 1024 * 1024);
  });

  it('serves the embedded database over SQL only when EMBEDDED_SQL_PORT is set, on loopback unless told otherwise', () => {
    expect(loadConfig({}).ok && (loadConfig({}) as { config: { sink: { embeddedSql: unknown } } }).config.sink.embeddedSql).toBeNull();
    const on = loadConfig({ EMBEDDED_SQL_PORT: '5433' });
    expect(on.ok && on.config.sink.embeddedSql).toEqual({ port: 5433, host: '127.0.0.1' });
    const wide = loadConfig({ EMBEDDED_SQL_PORT: '5433', EMBEDDED_SQL_HOST: '0.0.0.0' });
    expect(wide.ok && wide.config.sink.embeddedSql).toEqual({ port: 5433, host: '0.0.0.0' });
    const both = loadConfig({ EMBEDDED_SQL_PORT: '5433', SINK_URL: 'postgres://db/app' });
    expect(both.ok ? [] : both.problems).toEqual([expect.stringMatching(/^EMBEDDED_SQL_PORT: serves the embedded database only/)]);
  });

  it('LAYOUT=commons-codec is for CrateDB only, and is refused with another database', () => {
    const crate = loadConfig({ SINK_URL: 'http://crate@127.0.0.1:4200', LAYOUT: 'commons-codec' });
    expect(crate.ok && crate.config.sink.crateDb.layout).toBe('commons-codec');
    const plain = loadConfig({ SINK_URL: 'crate://127.0.0.1' });
    expect(plain.ok && plain.config.sink.crateDb.layout).toBe('cratedb');
    for (const env of [{ SINK_URL: 'postgres://db/app' }, {}]) {
      const refused = loadConfig({ ...env, LAYOUT: 'commons-codec' });
      expect(refused.ok ? [] : refused.problems).toEqual([expect.stringMatching(/^LAYOUT: commons-codec is a layout of CrateDB tables/)]);
    }
    const unknown = loadConfig({ SINK_URL: 'crate://127.0.0.1', LAYOUT: 'dynamodb' });
    expect(unknown.ok ? [] : unknown.problems).toEqual(['LAYOUT: one of cratedb, commons-codec']);
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

  it('takes CrateDB URLs and settings, and refuses malformed ones', () => {
    const good = loadConfig({ SINK_URL: 'crate://crate:secret@db.example:4200/?ssl=true&schema=cdc', CRATEDB_SHARDS: '6', CRATEDB_REPLICAS: '0-1' });
    expect(good.ok && good.config.sink).toMatchObject({
      url: 'crate://crate:secret@db.example:4200/?ssl=true&schema=cdc',
      crateDb: { shards: 6, replicas: '0-1' },
    });
    const bad = loadConfig({ SINK_URL: 'crate://db.example:port/', CRATEDB_REPLICAS: 'some' });
    expect(bad.ok ? [] : bad.problems.map((p) => p.split(':')[0])).toEqual(['SINK_URL', 'CRATEDB_REPLICAS']);
  });

  it('refuses an access key longer than Firehose allows', () => {
    const result = loadConfig({ ACCESS_KEY: 'k'.repeat(4097) });
    expect(result.ok ? [] : result.problems).toEqual(['ACCESS_KEY: each key is at most 4096 bytes']);
  });
});

describe('what a bad variable is told', () => {
  it("says what each variable wants, not zod's wording, and refuses an ACCESS_KEY with no key in it", () => {
    const result = loadConfig({
      PORT: 'abc',
      SINK_POOL_SIZE: '0',
      SHUTDOWN_TIMEOUT_SECONDS: '99999',
      MAX_BODY_BYTES: '1.5',
      LOG_LEVEL: 'loud',
      ACCESS_KEY: ' , ,',
    });
    expect(result).toEqual({
      ok: false,
      problems: [
        'PORT: a whole number',
        'MAX_BODY_BYTES: a whole number',
        'SINK_POOL_SIZE: a whole number, at least 1',
        'LOG_LEVEL: one of fatal, error, warn, info, debug, trace, silent',
        'SHUTDOWN_TIMEOUT_SECONDS: a whole number, at most 600',
        'ACCESS_KEY: holds no key, only commas and spaces',
      ],
    });
    for (const problem of (result as { problems: string[] }).problems) expect(problem).not.toMatch(/expected|received|NaN/i);
  });
});
