import { describe, expect, it } from 'vitest';
import { isCrateDbUrl, parseCrateDbUrl } from '../../../../src/sink/cratedb/cratedb-url.js';

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
