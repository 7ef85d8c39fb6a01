import { describe, expect, it } from 'vitest';
import { parseItem, projectAllToAux, projectItem, type ColumnTypes } from '../../../../src/sink/cratedb/project-item.js';

const project = (json: string, columns: ColumnTypes = new Map(), max = 1000) => {
  const p = projectItem(parseItem(json), columns, max);
  return { data: p.dataJson, aux: p.diversions.map((d) => [d.path.join('/'), d.value, d.reason]), columns };
};

describe('projectItem', () => {
  it('writes every number as a double so that a later 1.5 is never truncated into a BIGINT column', () => {
    const { data, columns } = project('{"n":1,"m":42.42,"big":1e+100}');
    expect(data).toBe('{"n":1.0,"m":42.42,"big":1e+100}');
    expect(columns.get('["n"]')).toBe('double');
  });

  it('keeps numbers a double cannot hold exactly in aux, with every digit', () => {
    const { data, aux } = project('{"id":"a","exact":12345678901234567890123456789012345678,"tiny":0.1}');
    expect(data).toBe('{"id":"a","tiny":0.1}');
    expect(aux).toEqual([['exact', '12345678901234567890123456789012345678', 'number_precision']]);
  });

  it('diverts attributes whose names CrateDB refuses', () => {
    for (const name of ['a.b', 'list[0]', 'x]', 'tab\there', 'cr\rhere', 'lf\nhere']) {
      const { data, aux } = project(JSON.stringify({ [name]: 'v', ok: true }));
      expect(data).toBe('{"ok":true}');
      expect(aux).toEqual([[name, '"v"', 'invalid_key']]);
    }
  });

  it('diverts a value whose type differs from the sub-column created first', () => {
    const columns: ColumnTypes = new Map([['["temp"]', 'double']]);
    expect(project('{"temp":"hot"}', columns).aux).toEqual([['temp', '"hot"', 'type_conflict']]);
    // A BIGINT sub-column made by another writer would truncate doubles: divert instead.
    expect(project('{"count":1.5}', new Map([['["count"]', 'bigint']])).aux).toEqual([['count', '1.5', 'type_conflict']]);
  });

  it('diverts mixed, nested and empty arrays and keeps homogeneous ones', () => {
    const { data, aux, columns } = project('{"mixed":["a",1],"nested":[[1]],"empty":[],"tags":["a","b"],"nums":[1,2.5],"nulls":["a",null]}');
    expect(data).toBe('{"tags":["a","b"],"nums":[1.0,2.5],"nulls":["a",null]}');
    expect(aux.map(([p, , r]) => [p, r])).toEqual([
      ['mixed', 'mixed_array'],
      ['nested', 'nested_array'],
      ['empty', 'empty_array'],
    ]);
    expect(columns.get('["nums"]')).toBe('array(double)');
  });

  it('projects nested maps path by path, diverting only the offending leaf', () => {
    const { data, aux } = project('{"m":{"ok":"x","bad.key":1,"inner":{"n":2}}}');
    expect(data).toBe('{"m":{"ok":"x","inner":{"n":2.0}}}');
    expect(aux).toEqual([['m/bad.key', '1', 'invalid_key']]);
  });

  it('diverts an array of objects whole when one element cannot be projected', () => {
    const { data, aux } = project('{"list":[{"a":1},{"a":"text"}]}');
    expect(data).toBe('{}');
    expect(aux).toEqual([['list', '[{"a":1},{"a":"text"}]', 'type_conflict']]);
  });

  it('stops creating sub-columns at the limit', () => {
    const { data, aux } = project('{"a":1,"b":2,"c":3}', new Map(), 2);
    expect(data).toBe('{"a":1.0,"b":2.0}');
    expect(aux).toEqual([['c', '3', 'column_limit']]);
  });

  it('null never claims a type: a new name gets an `undefined` sub-column, as CrateDB makes one', () => {
    const columns: ColumnTypes = new Map([['["x"]', 'text']]);
    expect(project('{"x":null,"y":null}', columns)).toMatchObject({ data: '{"x":null,"y":null}', aux: [] });
    expect(columns.get('["x"]')).toBe('text');
    expect(columns.get('["y"]')).toBe('undefined');
  });

  it('a list for a sub-column null typed `undefined`: in aux (CrateDB 6.4.3 fails such a row with a NullPointerException)', () => {
    const columns: ColumnTypes = new Map([['["x"]', 'undefined']]);
    expect(project('{"x":["a"]}', columns)).toMatchObject({ data: '{}', aux: [['x', '["a"]', 'type_conflict']] });
    expect(project('{"x":[]}', columns)).toMatchObject({ data: '{}', aux: [['x', '[]', 'empty_array']] });
    expect(project('{"x":"typed"}', columns)).toMatchObject({ data: '{"x":"typed"}', aux: [] });
  });
});

describe('projectAllToAux', () => {
  it('keeps only the key attributes in data and everything else exactly in aux', () => {
    const p = projectAllToAux(parseItem('{"id":"a","n":1.50,"m":{"x":1}}'), parseItem('{"id":"a"}'));
    expect(p.dataJson).toBe('{"id":"a"}');
    expect(p.diversions.map((d) => [d.path.join('/'), d.value, d.reason])).toEqual([
      ['n', '1.50', 'refused'],
      ['m', '{"x":1}', 'refused'],
    ]);
  });

  it('keeps a key attribute whose name CrateDB refuses in aux, not lost', () => {
    const p = projectAllToAux(parseItem('{"id":"a","sort.key":"s","v":[{}]}'), parseItem('{"id":"a","sort.key":"s"}'));
    expect(p.dataJson).toBe('{"id":"a"}');
    expect(p.diversions.map((d) => [d.path.join('/'), d.value, d.reason])).toEqual([
      ['sort.key', '"s"', 'invalid_key'],
      ['v', '[{}]', 'refused'],
    ]);
  });
});

describe('null under a name outside the BMP', () => {
  it('stays in aux, since CrateDB 6.4.3 cannot read the row back by key once an upsert set it (other values stay in data)', () => {
    const { data, aux } = project(JSON.stringify({ '𐀀 ': null, '😀 t': 'text', é: null, id: 'x' }));
    expect(data).toBe('{"😀 t":"text","é":null,"id":"x"}');
    expect(aux).toEqual([['𐀀 ', 'null', 'invalid_key']]);
  });
});

describe('projectItem: whether writing the row may change the mapping', () => {
  const changes = (json: string, columns: ColumnTypes, claims: ColumnTypes) => projectItem(parseItem(json), columns, 1000, claims).changesMapping;

  it('is set by a new sub-column, by null under a new name, and by every row of the delivery using a claimed path', () => {
    const columns: ColumnTypes = new Map([['["id"]', 'text']]);
    const claims: ColumnTypes = new Map();
    expect(changes('{"id":"a"}', columns, claims), 'known paths only').toBe(false);
    expect(changes('{"id":"b","added":"x"}', columns, claims), 'claims added').toBe(true);
    expect(changes('{"id":"c","added":"y"}', columns, claims), 'uses the claimed path').toBe(true);
    expect(changes('{"id":"d","nothing":null}', columns, claims), 'null: an undefined sub-column').toBe(true);
    expect(columns.get('["nothing"]')).toBe('undefined');
    expect(changes('{"id":"e","nothing":"typed"}', columns, claims), 'types the undefined one').toBe(true);
    expect(claims.get('["nothing"]')).toBe('text');
  });

  it('is not set for paths CrateDB already typed, nor for a known one under null', () => {
    const columns: ColumnTypes = new Map([
      ['["id"]', 'text'],
      ['["n"]', 'double'],
      ['["deep"]', 'object'],
      ['["deep","x"]', 'text'],
    ]);
    const claims: ColumnTypes = new Map();
    expect(changes('{"id":"a","n":1.5,"deep":{"x":"v"}}', columns, claims)).toBe(false);
    expect(changes('{"id":"a","n":null}', columns, claims)).toBe(false);
    expect(claims.size).toBe(0);
  });
});
