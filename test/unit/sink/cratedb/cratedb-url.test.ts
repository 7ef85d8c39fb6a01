import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/config.js';
import { crateDbUrlProblem, isCrateDbUrl, parseCrateDbUrl } from '../../../../src/sink/cratedb/cratedb-url.js';

describe('parseCrateDbUrl', () => {
  it('reads the crate:// form CrateDB users know', () => {
    expect(parseCrateDbUrl('crate://admin:s%40cret@db.example.com:4200/?ssl=true&schema=analytics')).toEqual({
      origin: 'https://db.example.com:4200',
      username: 'admin',
      password: 's@cret',
      schema: 'analytics',
    });
  });

  it('defaults to plain HTTP on 4200, user crate, schema doc', () => {
    expect(parseCrateDbUrl('crate://localhost')).toEqual({ origin: 'http://localhost:4200', username: 'crate', password: '', schema: 'doc' });
  });

  it('accepts http(s) URLs and keeps their scheme', () => {
    expect(parseCrateDbUrl('https://u:p@cluster.cratedb.net:4200').origin).toBe('https://cluster.cratedb.net:4200');
    expect(isCrateDbUrl('http://localhost:4200')).toBe(true);
    expect(isCrateDbUrl('postgres://localhost/db')).toBe(false);
  });
});

describe('the schema in the URL path, as cratedb-toolkit users write it', () => {
  it('reads /schema as the schema', () => {
    expect(parseCrateDbUrl('crate://crate@localhost:4200/analytics').schema).toBe('analytics');
    expect(parseCrateDbUrl('crate://crate@localhost:4200/analytics?schema=analytics').schema).toBe('analytics');
    expect(parseCrateDbUrl('crate://crate@localhost:4200/').schema).toBe('doc');
  });

  it('refuses a table in the path, and a path and a parameter that disagree, saying what to write', () => {
    expect(crateDbUrlProblem('crate://crate@localhost:4200/testdrive/demo')).toMatch(/TABLE_MAP='\*=demo'/);
    expect(crateDbUrlProblem('crate://crate@localhost:4200/a?schema=b')).toMatch(/path says schema a and \?schema= says b/);
  });

  it('is checked at start, with every other problem', () => {
    const loaded = loadConfig({ SINK_URL: 'crate://crate@localhost:4200/testdrive/demo' });
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.problems.join('\n')).toMatch(/^SINK_URL: the path names a table \(\/testdrive\/demo\)/m);
  });
});
