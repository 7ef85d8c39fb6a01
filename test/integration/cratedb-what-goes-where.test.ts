import { parse } from 'lossless-json';
import { expect, it } from 'vitest';
import { canonicalJson } from '../support/canonical-json.js';
import { scrape } from '../support/prometheus.js';
import { readJson } from '../support/read-json.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { reassemble } from '../support/reassemble.js';
import { crateDbTargets, describeTargets, type Harness } from '../support/sinks.js';
import type { Diversion } from '../support/stored-rows.js';

// README "What goes where when CrateDB cannot store a value": one test per row of the table, run
// against the stand-in and against a real CrateDB (CRATEDB_URL). Each asserts what `data` holds,
// every `aux` entry {path, value, reason}, the exact item, and the diversion metric.
const MAX_DATA_COLUMNS = 10;

describeTargets('what goes where in', crateDbTargets, { CRATEDB_MAX_DATA_COLUMNS: String(MAX_DATA_COLUMNS) }, (h) => {
  let micros = 1_000;
  /** Writes one item per call, in order, each in a delivery of its own; answers the target table. */
  const write = async (table: string, id: string, attributes: Record<string, unknown>) => {
    const response = await h.app.request(recordsRequest([kinesisRecord({ table, id, micros: ++micros, attributes })]));
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await readJson(response)).toMatchObject({ applied: 1, deadLettered: 0 });
    return table.replace(/-/g, '_');
  };

  it('an attribute name with ".", "[", "]", tab, CR or LF: the value in aux (invalid_key)', async () => {
    const names = ['a.b', 'c[0', 'd]', 'tab\there', 'cr\rhere', 'lf\nhere'];
    const table = await write('wgw-invalid-key', 'k', { ...Object.fromEntries(names.map((n, i) => [n, { S: `v${i}` }])), ok: { S: 'fine' } });
    await expectStored(h, table, 'k', {
      data: { id: 'k', ok: 'fine' },
      aux: names.map((n, i) => ({ path: [n], value: `"v${i}"`, reason: 'invalid_key' })),
      item: JSON.stringify({ ...Object.fromEntries(names.map((n, i) => [n, `v${i}`])), ok: 'fine', id: 'k' }),
    });
  });

  it('null under a name outside the BMP: in aux, and the row stays readable by key after an update (invalid_key)', async () => {
    const table = await write('wgw-astral-null', 'a', { v: { S: 'first' } });
    await write('wgw-astral-null', 'a', { '𐀀 ': { NULL: true }, '😀 t': { S: 'text' } });
    await write('wgw-astral-null', 'a', { '𐀀 ': { NULL: true }, '😀 t': { S: 'again' } });
    await expectStored(h, table, 'a', {
      data: { id: 'a', '😀 t': 'again' },
      aux: [{ path: ['𐀀 '], value: 'null', reason: 'invalid_key' }],
      item: '{"𐀀 ":null,"😀 t":"again","id":"a"}',
    });
  });

  it('a number: written as a double, so 1.5 after 1 is not truncated', async () => {
    const table = await write('wgw-number', 'first', { n: { N: '1' } });
    await write('wgw-number', 'second', { n: { N: '1.5' }, m: { N: '-20.25' } });
    await expectStored(h, table, 'first', { data: { id: 'first', n: 1 }, aux: [], item: '{"n":1,"id":"first"}' });
    await expectStored(h, table, 'second', { data: { id: 'second', n: 1.5, m: -20.25 }, aux: [], item: '{"n":1.5,"m":-20.25,"id":"second"}' });
  });

  it('a number a double cannot hold exactly (38 digits, an integer beyond 2^53): every digit in aux (number_precision)', async () => {
    const digits38 = '12345678901234567890123456789012345678';
    const beyond53 = '9007199254740993';
    const table = await write('wgw-precision', 'p', { big: { N: digits38 }, wide: { N: beyond53 }, fits: { N: '0.5' } });
    await expectStored(h, table, 'p', {
      data: { id: 'p', fits: 0.5 },
      aux: [
        { path: ['big'], value: digits38, reason: 'number_precision' },
        { path: ['wide'], value: beyond53, reason: 'number_precision' },
      ],
      item: `{"big":${digits38},"wide":${beyond53},"fits":0.5,"id":"p"}`,
    });
  });

  it('a value whose type differs from the sub-column created first: in aux, the sub-column keeps its type (type_conflict)', async () => {
    const table = await write('wgw-conflict', 'number', { x: { N: '1' } });
    await write('wgw-conflict', 'text', { x: { S: 'x' } });
    await write('wgw-conflict', 'again', { x: { N: '2.5' } });
    await expectStored(h, table, 'text', {
      data: { id: 'text' },
      aux: [{ path: ['x'], value: '"x"', reason: 'type_conflict' }],
      item: '{"x":"x","id":"text"}',
    });
    await expectStored(h, table, 'again', { data: { id: 'again', x: 2.5 }, aux: [], item: '{"x":2.5,"id":"again"}' });
  });

  it('a list where null came first: in aux, the sub-column stays untyped (type_conflict)', async () => {
    const table = await write('wgw-null-then-list', 'first', { tags: { NULL: true } });
    await write('wgw-null-then-list', 'list', { tags: { SS: ['a', 'b'] } });
    await expectStored(h, table, 'list', {
      data: { id: 'list' },
      aux: [{ path: ['tags'], value: '["a","b"]', reason: 'type_conflict' }],
      item: '{"tags":["a","b"],"id":"list"}',
    });
  });

  it('a list of mixed types, or of lists: in aux (mixed_array, nested_array)', async () => {
    const table = await write('wgw-arrays', 'a', {
      mixed: { L: [{ S: 'x' }, { N: '1' }] },
      nested: { L: [{ L: [{ N: '1' }] }, { L: [{ N: '2' }] }] },
      plain: { L: [{ S: 'y' }] },
    });
    await expectStored(h, table, 'a', {
      data: { id: 'a', plain: ['y'] },
      aux: [
        { path: ['mixed'], value: '["x",1]', reason: 'mixed_array' },
        { path: ['nested'], value: '[[1],[2]]', reason: 'nested_array' },
      ],
      item: '{"mixed":["x",1],"nested":[[1],[2]],"plain":["y"],"id":"a"}',
    });
  });

  it('an empty list, or one of nulls: in aux (empty_array)', async () => {
    const table = await write('wgw-empty', 'e', { empty: { L: [] }, nulls: { L: [{ NULL: true }, { NULL: true }] } });
    await expectStored(h, table, 'e', {
      data: { id: 'e' },
      aux: [
        { path: ['empty'], value: '[]', reason: 'empty_array' },
        { path: ['nulls'], value: '[null,null]', reason: 'empty_array' },
      ],
      item: '{"empty":[],"nulls":[null,null],"id":"e"}',
    });
  });

  it('null: written; CrateDB makes an `undefined` sub-column, and the first real value later types it (no conflict)', async () => {
    const table = await write('wgw-null', 'first', { later: { NULL: true } });
    await write('wgw-null', 'second', { later: { S: 'now text' } });
    await write('wgw-null', 'third', { later: { S: 'still text' } });
    await expectStored(h, table, 'first', { data: { id: 'first', later: null }, aux: [], item: '{"later":null,"id":"first"}' });
    await expectStored(h, table, 'third', { data: { id: 'third', later: 'still text' }, aux: [], item: '{"later":"still text","id":"third"}' });
  });

  it('a text over 32,766 UTF-8 bytes, alone or in a list: in aux, the rest of the item queryable (long_text)', async () => {
    const long = 'é'.repeat(16_384); // 32,768 UTF-8 bytes, 16,384 characters
    const fits = 'x'.repeat(32_766);
    const table = await write('wgw-long', 'l', { long: { S: long }, list: { SS: ['short', long] }, fits: { S: fits }, other: { N: '7' } });
    await expectStored(h, table, 'l', {
      data: { id: 'l', fits, other: 7 },
      aux: [
        { path: ['long'], value: JSON.stringify(long), reason: 'long_text' },
        { path: ['list'], value: JSON.stringify([long, 'short'].sort()), reason: 'long_text' },
      ],
      item: JSON.stringify({ long, list: [long, 'short'].sort(), fits, other: 7, id: 'l' }),
    });
  });

  it(`a new attribute past CRATEDB_MAX_DATA_COLUMNS (${MAX_DATA_COLUMNS}) sub-columns: in aux (column_limit)`, async () => {
    const names = Array.from({ length: MAX_DATA_COLUMNS + 3 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    const item: Record<string, string> = { ...Object.fromEntries(names.map((n) => [n, n])), id: 'c' };
    const table = await write('wgw-columns', 'c', Object.fromEntries(names.map((n) => [n, { S: n }])));
    const inData = Object.keys(JSON.parse((await h.row(table, { id: 'c' }))!.data) as object);
    expect(inData.length, 'sub-columns in data').toBeLessThanOrEqual(MAX_DATA_COLUMNS);
    await expectStored(h, table, 'c', {
      data: Object.fromEntries(inData.map((n) => [n, item[n]])),
      aux: Object.keys(item)
        .filter((n) => !inData.includes(n))
        .map((n) => ({ path: [n], value: JSON.stringify(item[n]), reason: 'column_limit' })),
      item: JSON.stringify(item),
    });
  });

  it('a row CrateDB refuses for a reason not foreseen: its key in data, the rest in aux (refused)', async () => {
    await h.refuseRowsHolding('wgw_refused', 'picky');
    const table = await write('wgw-refused', 'r', { picky: { S: 'v' }, other: { N: '3' } });
    await expectStored(h, table, 'r', {
      data: { id: 'r' },
      aux: [
        { path: ['picky'], value: '"v"', reason: 'refused' },
        { path: ['other'], value: '3', reason: 'refused' },
      ],
      item: '{"picky":"v","other":3,"id":"r"}',
    });
  });
});

/**
 * The row holds exactly `data` (compared canonically) and `aux` (in any order), its item is the
 * exact item, data and aux together are the item, and each diversion was counted.
 */
async function expectStored(h: Harness, table: string, id: string, expected: { data: Record<string, unknown>; aux: Diversion[]; item: string }): Promise<void> {
  const row = await h.row(table, { id });
  expect(row, `${table}: a row for ${id}`).toBeDefined();
  expect(row!.data, 'data').toBe(canonicalJson(JSON.stringify(expected.data)));
  const byPath = (a: Diversion, b: Diversion) => (JSON.stringify(a.path) < JSON.stringify(b.path) ? -1 : 1);
  expect([...row!.aux].sort(byPath), 'aux').toEqual([...expected.aux].sort(byPath));
  expect(parse(row!.item), 'the exact item').toEqual(parse(expected.item));
  expect(reassemble(row!.data, row!.aux), 'data and aux make the item').toEqual(reassemble(expected.item, []));
  const metrics = await scrape(h.app);
  for (const reason of new Set(expected.aux.map((d) => d.reason))) {
    expect(metrics.value('cdc_values_diverted_total', { table, reason }), `${reason} counted`).toBeGreaterThanOrEqual(
      expected.aux.filter((d) => d.reason === reason).length,
    );
  }
}
