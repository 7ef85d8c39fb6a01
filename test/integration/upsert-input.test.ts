import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../../src/config/column-map.js';
import { checkRow, rowsParameter } from '../../src/sink/postgres/row-parameters.js';
import * as sql from '../../src/sink/postgres/statements.js';
import type { RowWrite } from '../../src/translate/write-batch.js';
import { createHarness, sinkTargets, targetTitle, type Harness } from '../support/sinks.js';

// The upsert reads its rows from lines (the bulk write) or from a JSON array (rows with a tab or
// a newline, the row-by-row function): both must answer the same and store the same, write after
// write, the version gate deciding on random versions over a few keys.
const columns: ColumnSpec[] = [
  { name: 'c_text', path: ['s'], type: 'text', from: null },
  { name: 'c_num', path: ['n'], type: 'numeric', from: null },
  { name: 'c_json', path: ['m'], type: 'json', from: null },
];
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('plain', '"quoted"', 'back\\slash', '\\u0000 spelled', 'é😀', ' ', 'a\rb', 'NULL', '\\N'),
);
const item = fc.record({
  s: text,
  n: fc.oneof(fc.integer(), fc.constant(1.5e300), fc.constant(-0.25)),
  m: fc.oneof(fc.constant(null), fc.dictionary(text, text, { maxKeys: 2 })),
});
const row: fc.Arbitrary<RowWrite> = fc
  .record({
    pk: fc.constantFrom('{"id":"a"}', '{"id":"b\\"q"}', '{"id":"é"}', '{"id":"\\\\"}'),
    item,
    deleted: fc.boolean(),
    version: fc.integer({ min: 1, max: 4 }),
    sequence: fc.option(fc.constantFrom('1', '20', '300'), { nil: null }),
    eventId: fc.oneof(fc.constantFrom('e1', 'e2'), text),
    eventName: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE'),
    ttl: fc.boolean(),
    keysOnly: fc.boolean(),
    sourceTable: text,
    typed: fc.tuple(
      fc.option(text, { nil: null }),
      fc.option(fc.constantFrom('12.5', '-3', '0'), { nil: null }),
      fc.option(fc.constantFrom('{"x":[1,"y"]}', 'null', '"s"'), { nil: null }),
    ),
  })
  .map(({ item, typed, ...r }) => ({ ...r, recordIndex: 0, data: JSON.stringify(item), columns: { values: typed, unconverted: 0 } }))
  .filter((r) => checkRow(r, columns).refusal === null && checkRow(r, columns).fitsLine);

for (const target of sinkTargets.filter((t) => !t.name.startsWith('cratedb'))) {
  describe.skipIf(target.skipReason !== null)(targetTitle('the upsert from lines and from JSON in', target), () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(target.name);
      await h.query(sql.createSchema(h.schema));
    });
    afterAll(async () => h?.close());

    it.each([
      ['without typed columns', [] as ColumnSpec[]],
      ['with typed columns', columns],
    ])('answers and stores the same, write after write (%s)', async (_, typed) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uniqueArray(row, { selector: (r) => r.pk, minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
          async (writes) => {
            const tables = { json: `in_json_${typed.length}_${run}`, lines: `in_lines_${typed.length}_${run}` };
            run++;
            for (const table of Object.values(tables)) {
              await h.query(sql.createStateTable(h.schema, table));
              if (typed.length > 0) await h.query(sql.addTypedColumns(h.schema, table, typed));
            }
            for (const rows of writes) {
              const places = rows.map((_, i) => i);
              const answers: Record<string, unknown> = {};
              for (const input of ['json', 'lines'] as const) {
                const statement = sql.upsertRows(h.schema, tables[input], 'hashed', typed, input);
                // The rows it did not apply, by ordinal (RETURNING has no order of its own).
                const answer = await h.query<{ n: number }>(statement, [rowsParameter(input, rows, places, typed)]);
                answers[input] = answer.sort((a, b) => Number(a.n) - Number(b.n));
              }
              expect(answers.lines).toEqual(answers.json);
            }
            const stored = async (table: string) =>
              h.query(
                `SELECT pk, data::text AS data, deleted, version::text AS version, seq::text AS seq, event_id, event_name, ttl_expired, keys_only, source_table, changed_at${typed.map((c) => `, ${c.name}::text AS ${c.name}`).join('')} FROM "${h.schema}"."${table}" ORDER BY pk`,
              );
            expect(await stored(tables.lines)).toEqual(await stored(tables.json));
          },
        ),
        { numRuns: 15 },
      );
    });

    it('writes rows whose text holds a tab or a newline through the sink, as they are', async () => {
      const rows: RowWrite[] = ['tab\there', 'line\nbreak', 'plain'].map((eventId, i) => ({
        recordIndex: i,
        pk: `{"id":"k${i}"}`,
        data: `{"id":"k${i}"}`,
        deleted: false,
        version: 10,
        sequence: null,
        eventId,
        eventName: 'INSERT',
        ttl: false,
        keysOnly: false,
        sourceTable: i === 2 ? 'with\ttab' : 'plain',
      }));
      const written = await h.sink.write({ requestId: 'r', tables: [{ table: 'unfit', columns: [], rows, changes: [] }], deadLetters: [] });
      expect(written.ok && written.tables[0]!.outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied', 'applied']);
      const stored = await h.query<{ event_id: string; source_table: string }>(`SELECT event_id, source_table FROM "${h.schema}"."unfit" ORDER BY pk`);
      expect(stored).toEqual([
        { event_id: 'tab\there', source_table: 'plain' },
        { event_id: 'line\nbreak', source_table: 'plain' },
        { event_id: 'plain', source_table: 'with\ttab' },
      ]);
    });
  });
}
