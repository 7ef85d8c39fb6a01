import { describe, expect, it } from 'vitest';
import { auxJson, keyColumnsOf, projectCodecAllToAux, projectCodecItem, type KeyColumn } from '../../../../src/sink/cratedb/commons-codec-layout.js';
import { parseItem, type ColumnTypes } from '../../../../src/sink/cratedb/project-item.js';

// Expected outputs are those of commons-codec's own tests (tests/transform/test_dynamodb_cdc.py and
// test_dynamodb_types_cratedb.py, crate/commons-codec): the item as decode gives it (numbers exact,
// binary as base64, sets as sorted lists), and `pk`, `data` (`typed`), `aux` (`untyped`) as there.
const ID: KeyColumn[] = [{ name: 'id', type: 'TEXT' }];

function project(itemJson: string, keys = ID, columns: ColumnTypes = new Map()) {
  const result = projectCodecItem(parseItem(itemJson), keys, columns, 900);
  if (!result.ok) throw new Error(result.error);
  return result.projection;
}

describe('projectCodecItem', () => {
  it('MSG_INSERT_BASIC: the key in pk, every other attribute in data, numbers as doubles, sets as lists', () => {
    const p = project(
      '{"id":"5F9E-Fsadd41C-4C92-A8C1-70BF3FFB9266","humidity":84.84,"temperature":42.42,"device":"foo","timestamp":"2024-07-12T01:17:42","string_set":["location_1"],"number_set":[1,2,3,4],"binary_set":["U3Vubnk="]}',
    );
    expect(JSON.parse(p.pkJson)).toEqual({ id: '5F9E-Fsadd41C-4C92-A8C1-70BF3FFB9266' });
    expect(JSON.parse(p.dataJson)).toEqual({
      humidity: 84.84,
      temperature: 42.42,
      device: 'foo',
      timestamp: '2024-07-12T01:17:42',
      string_set: ['location_1'],
      number_set: [1.0, 2.0, 3.0, 4.0],
      binary_set: ['U3Vubnk='],
    });
    // Python sends 1.0: CrateDB types the sub-column DOUBLE, never BIGINT.
    expect(p.dataJson).toContain('"number_set":[1.0,2.0,3.0,4.0]');
    expect(p.auxJson).toBe('{}');
    expect(p.diversions).toEqual([]);
  });

  it('MSG_INSERT_NESTED: maps stay objects in data', () => {
    const p = project(
      '{"id":"x","data":{"temperature":42.42,"humidity":84.84},"meta":{"timestamp":"2024-07-12T01:17:42","device":"foo"},"number_set":[0.34,1,2,3],"somemap":{"test":1,"test2":2}}',
    );
    expect(JSON.parse(p.dataJson)).toEqual({
      data: { temperature: 42.42, humidity: 84.84 },
      meta: { timestamp: '2024-07-12T01:17:42', device: 'foo' },
      number_set: [0.34, 1.0, 2.0, 3.0],
      somemap: { test: 1.0, test2: 2.0 },
    });
    expect(p.dataJson).toContain('"somemap":{"test":1.0,"test2":2.0}');
  });

  it('MSG_MODIFY_NESTED: lists of one type, of objects, an empty list and an empty map stay in data', () => {
    const p = project('{"id":"x","device":"foo","tags":["foo","bar"],"empty_map":{},"empty_list":[],"list_of_objects":[{"foo":"bar"},{"baz":"qux"}]}');
    expect(JSON.parse(p.dataJson)).toEqual({
      device: 'foo',
      tags: ['foo', 'bar'],
      empty_map: {},
      empty_list: [],
      list_of_objects: [{ foo: 'bar' }, { baz: 'qux' }],
    });
    expect(p.auxJson).toBe('{}');
  });

  it('test_decode_typed_untyped: a list of varied types goes to aux under its name', () => {
    const p = project('{"foo":84.84,"bar":[1,"foo"]}', []);
    expect(p.pkJson).toBe('{}');
    expect(JSON.parse(p.dataJson)).toEqual({ foo: 84.84 });
    expect(p.auxJson).toBe('{"bar":[1.0,"foo"]}');
    expect(p.diversions).toEqual([{ path: ['bar'], value: '[1,"foo"]', reason: 'mixed_array' }]);
  });

  it('test_deserialize_list: a varied list holding a list goes to aux whole', () => {
    const p = project('{"id":"x","l":[1,"foo",[1.25]]}');
    expect(p.dataJson).toBe('{}');
    expect(JSON.parse(p.auxJson)).toEqual({ l: [1, 'foo', [1.25]] });
  });

  it('keeps in aux, whole and by name, an attribute data cannot hold, where commons-codec would fail the row', () => {
    const p = project('{"id":"x","ok":"yes","m":{"a.b":1,"c":2},"n":12345678901234567890123,"t":{"deep":[["x"]]}}');
    expect(JSON.parse(p.dataJson)).toEqual({ ok: 'yes' });
    // A number a double cannot hold keeps every digit, as text.
    expect(p.auxJson).toBe('{"m":{"a.b":1.0,"c":2.0},"n":"12345678901234567890123","t":{"deep":[["x"]]}}');
    expect(p.diversions.map((d) => [d.path, d.reason])).toEqual([
      [['m'], 'invalid_key'],
      [['n'], 'number_precision'],
      [['t'], 'nested_array'],
    ]);
  });

  it('claims sub-column types only for what lands in data, and a type taken first sends a conflict to aux', () => {
    const columns: ColumnTypes = new Map();
    project('{"id":"a","t":1.5,"m":{"x":"s","y.z":1}}', ID, columns);
    expect([...columns.keys()]).toEqual(['["t"]']);
    const p = project('{"id":"b","t":"warm","e":[]}', ID, columns);
    expect(p.auxJson).toBe('{"t":"warm"}');
    expect(JSON.parse(p.dataJson)).toEqual({ e: [] });
    columns.set('["e"]', 'text');
    expect(project('{"id":"c","e":[]}', ID, columns).auxJson).toBe('{"e":[]}');
  });

  it('a number key goes to a BIGINT key column exactly, and one the column cannot hold is refused', () => {
    const keys = keyColumnsOf(parseItem('{"device":"d","n":12}'));
    expect(keys).toEqual([
      { name: 'device', type: 'TEXT' },
      { name: 'n', type: 'BIGINT' },
    ]);
    const p = project('{"device":"d","n":9007199254740993,"v":1}', keys);
    expect(p.pkJson).toBe('{"device":"d","n":9007199254740993}');
    expect(p.keyJson).toEqual(['"d"', '9007199254740993']);
    const refused = projectCodecItem(parseItem('{"device":"d","n":1.5}'), keys, new Map(), 900);
    expect(refused).toEqual({ ok: false, error: 'key attribute "n" = 1.5 does not fit the table\'s BIGINT key column' });
  });

  it('the fallback keeps everything but the key in aux', () => {
    const result = projectCodecAllToAux(parseItem('{"id":"x","a":1,"b":["s",2]}'), ID);
    expect(result.ok && [result.projection.dataJson, result.projection.auxJson]).toEqual(['{}', '{"a":1.0,"b":["s",2.0]}']);
  });

  it('aux numbers: doubles where exact, else the exact decimal as text', () => {
    expect(auxJson(parseItem('{"a":[0.1,1e3,123456789012345678901234567890.5]}'))).toBe('{"a":[0.1,1000.0,"123456789012345678901234567890.5"]}');
  });
});
