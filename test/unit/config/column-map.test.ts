import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseColumnMap, parsePath } from '../../../src/config/column-map.js';
import { decodeFirehoseRecord } from '../../../src/decode/decode-record.js';
import { typedColumns } from '../../../src/translate/typed-columns.js';
import { nowBounds } from '../../support/change-bounds.js';

describe('parseColumnMap', () => {
  it('reads YAML: per target table, columns in the file order, each with its path segments, type and timestamp source', () => {
    const result = parseColumnMap(
      `table_testdrive:
  device: { path: device, type: text }
  reading_time: { path: timestamp, type: timestamp, from: iso8601 }
  first_tag: { path: "tags[0]", type: text }
  city: { path: [address, "post.city"], type: text }
`,
      'map.yaml',
    );
    expect(result).toEqual({
      ok: true,
      map: new Map([
        [
          'table_testdrive',
          [
            { name: 'device', path: ['device'], type: 'text', from: null },
            { name: 'reading_time', path: ['timestamp'], type: 'timestamp', from: 'iso8601' },
            { name: 'first_tag', path: ['tags', 0], type: 'text', from: null },
            { name: 'city', path: ['address', 'post.city'], type: 'text', from: null },
          ],
        ],
      ]),
    });
  });

  it('reads JSON too', () => {
    expect(parseColumnMap('{"t": {"n": {"path": "a.b", "type": "double"}}}', 'map.json')).toEqual({
      ok: true,
      map: new Map([['t', [{ name: 'n', path: ['a', 'b'], type: 'double', from: null }]]]),
    });
  });

  it('reports every problem at once, each naming the file, table and column', () => {
    const result = parseColumnMap(
      `t:
  Bad-Name: { path: a, type: text }
  data: { path: a, type: text }
  nope: { path: a, type: float }
  when: { path: a, type: timestamp }
  odd: { path: "a..b", type: text }
  extra: { path: a, type: text, default: 1 }
  notime: { path: a, type: text, from: iso8601 }
u: [1, 2]
`,
      'map.yaml',
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        'map.yaml: t.Bad-Name: a column name is lower-case letters, digits and _, starting with a letter or _ (at most 63)',
        'map.yaml: t.data: the sinks use this column name themselves',
        'map.yaml: t.nope.type: one of text, bigint, numeric, double, boolean, timestamp, json, object',
        'map.yaml: t.when.from: a timestamp column says what it reads: iso8601, epoch_seconds, epoch_millis, epoch_micros',
        'map.yaml: t.odd.path: "a..b" is not a path (names joined by ".", [n] for list elements; a list of segments for names holding "." or "[")',
        'map.yaml: t.extra: unknown field "default" (a column has path, type and, for timestamps, from)',
        'map.yaml: t.notime.from: only timestamp columns read "from"',
        'map.yaml: u: expected a map of column names to {path, type}',
      ],
    });
  });

  it('refuses a file that is not YAML, or not a map', () => {
    expect(parseColumnMap('t: [unclosed', 'm.yaml')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^m\.yaml: not YAML or JSON: /)] });
    expect(parseColumnMap('- a\n- b\n', 'm.yaml')).toEqual({ ok: false, problems: ['m.yaml: expected a map of target tables to their columns'] });
  });
});

describe('examples/column-map.yaml', () => {
  it("is valid and types the seed delivery's item: device, reading_time, temperature, humidity", () => {
    const result = parseColumnMap(readFileSync('examples/column-map.yaml', 'utf8'), 'examples/column-map.yaml');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const specs = result.map.get('table_testdrive')!;
    expect(specs.map((c) => [c.name, c.type])).toEqual([
      ['device', 'text'],
      ['reading_time', 'timestamp'],
      ['temperature', 'double'],
      ['humidity', 'double'],
    ]);
    const delivery = JSON.parse(readFileSync('examples/seed-delivery.json', 'utf8')) as { records: { data: string }[] };
    const insert = decodeFirehoseRecord(delivery.records[0]!.data, 0, nowBounds);
    if (!insert.ok) throw new Error(insert.error);
    expect(typedColumns(specs, insert.change.newImageJson!)).toEqual({ values: ['qux', '2024-07-12T01:17:42.000000Z', 42.42, 84.84], unconverted: 0 });
  });
});

describe('parsePath', () => {
  it.each([
    ['a', ['a']],
    ['a.b', ['a', 'b']],
    ['a[0]', ['a', 0]],
    ['a[0][12].b', ['a', 0, 12, 'b']],
    ['ünï code.x y', ['ünï code', 'x y']],
  ])('%s', (text, segments) => expect(parsePath(text)).toEqual(segments));

  it.each(['', '.a', 'a.', 'a..b', '[0]', 'a[x]', 'a]', 'a[0]b'])('refuses %j', (text) => expect(parsePath(text)).toBeNull());
});

describe('COLUMN_MAP in the configuration', () => {
  it('reads the file it names, and reports a missing one or a bad one at start; every sink takes it', async () => {
    const { loadConfig } = await import('../../../src/config/config.js');
    const good = loadConfig({ COLUMN_MAP: 'examples/column-map.yaml' });
    expect(good.ok && good.config.columnMap.get('table_testdrive')?.length).toBe(4);
    expect(loadConfig({ COLUMN_MAP: 'no/such/map.yaml' })).toEqual({ ok: false, problems: ['COLUMN_MAP: no/such/map.yaml: cannot be read (ENOENT)'] });
    expect(loadConfig({ COLUMN_MAP: 'm.yaml' }, { readText: () => 't: { c: { path: a, type: float } }' })).toEqual({
      ok: false,
      problems: ['COLUMN_MAP: m.yaml: t.c.type: one of text, bigint, numeric, double, boolean, timestamp, json, object'],
    });
    const crate = loadConfig({ COLUMN_MAP: 'examples/column-map.yaml', SINK_URL: 'crate://crate@127.0.0.1:4200' });
    expect(crate.ok && crate.config.columnMap.get('table_testdrive')?.length).toBe(4);
  });
});
