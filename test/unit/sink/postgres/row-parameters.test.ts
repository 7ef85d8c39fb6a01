import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../../../../src/config/column-map.js';
import { jsonbRefusal } from '../../../../src/sink/postgres/predicted-refusals.js';
import { checkRow, rowJson, rowLine, rowsParameter } from '../../../../src/sink/postgres/row-parameters.js';
import type { RowWrite } from '../../../../src/translate/write-batch.js';

const columns: ColumnSpec[] = [
  { name: 'c_text', path: ['s'], type: 'text', from: null },
  { name: 'c_json', path: ['m'], type: 'json', from: null },
];

// Text of every kind: tabs, newlines, U+0000, quotes, backslashes, lone and paired surrogates.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', 'plain', 'a\tb', 'a\nb', 'a\u0000b', '"q"', '\\', '\ud800', '\ud83d\ude00'),
);
const json = fc.oneof(
  text.map((s) => JSON.stringify({ s })),
  fc.constantFrom('{"a":1}', '{"s":"\\u0000"}', '{"s":"\\ud800"}', '{"s":"\ud800"}', '{"s":"\\\\u0000"}', '{"s":"x\ty"}', '{ "s": 1 }'),
);
const row = (typed: boolean) =>
  fc.record({
    recordIndex: fc.nat(100),
    pk: text,
    data: json,
    deleted: fc.boolean(),
    version: fc.nat(),
    sequence: fc.option(fc.oneof(fc.stringMatching(/^\d{1,5}$/), text), { nil: null }),
    eventId: text,
    eventName: fc.oneof(fc.constantFrom('INSERT', 'MODIFY', 'REMOVE'), text),
    ttl: fc.boolean(),
    keysOnly: fc.boolean(),
    sourceTable: text,
    ...(typed ? { columns: fc.record({ values: fc.tuple(fc.option(text, { nil: null }), fc.option(json, { nil: null })), unconverted: fc.constant(0) }) } : {}),
  }) as fc.Arbitrary<RowWrite>;

describe('checkRow', () => {
  it('refuses a row exactly as jsonbRefusal refuses its JSON, and fits it to a line exactly when no field holds a tab or a newline', () => {
    fc.assert(
      fc.property(
        fc.boolean().chain((typed) => row(typed).map((r) => ({ r, cols: typed ? columns : [] }))),
        ({ r, cols }) => {
          const check = checkRow(r, cols);
          expect(check.refusal).toBe(jsonbRefusal(rowJson(r, cols)));
          // A line holds the row when it splits back into exactly the statement's fields.
          const line = rowLine(r, cols);
          expect(check.fitsLine).toBe(!line.includes('\n') && line.split('\t').length === (cols.length > 0 ? 11 : 10));
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('rowLine', () => {
  it("gives the statement's fields in order, seq empty for none", () => {
    const r: RowWrite = {
      recordIndex: 0,
      pk: '{"id":"a"}',
      data: '{"id":"a","n":1}',
      deleted: false,
      version: 12,
      sequence: null,
      eventId: 'e1',
      eventName: 'INSERT',
      ttl: false,
      keysOnly: true,
      sourceTable: 'orders',
    };
    expect(rowLine(r, []).split('\t')).toEqual(['{"id":"a"}', 'f', '12', '', 'e1', 'INSERT', 'f', 't', 'orders', '{"id":"a","n":1}']);
    expect(rowLine({ ...r, columns: { values: ['x', null], unconverted: 0 } }, columns).split('\t')[9]).toBe('["x",null]');
    expect(rowLine(r, columns).split('\t')[9]).toBe('');
    expect(
      rowsParameter('lines', [r, { ...r, pk: '{"id":"b"}' }], [1, 0], [])
        .split('\n')
        .map((l) => l.split('\t')[0]),
    ).toEqual(['{"id":"b"}', '{"id":"a"}']);
    expect(JSON.parse(rowsParameter('json', [r], [0], []))).toEqual([JSON.parse(rowJson(r))]);
  });
});
