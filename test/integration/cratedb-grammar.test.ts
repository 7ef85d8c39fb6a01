import { sqlparse } from '@cratedb/cratedb-sqlparse';
import { describe, expect, it } from 'vitest';
import { checkpointStatements } from '../../src/sink/cratedb/checkpoint-store.js';
import { COLUMN_TYPES, type ColumnSpec } from '../../src/config/column-map.js';
import * as sql from '../../src/sink/cratedb/statements.js';

// CrateDB's own grammar (CrateDB 6.1, @cratedb/cratedb-sqlparse) over every statement the CrateDB
// sink and its checkpoint store can emit. Here rather than under unit/: loading the grammar and
// parsing some six hundred statements takes tens of seconds on two busy cores.
// Every statement the CrateDB sink can emit, for names that need quoting, must parse.
const names = ['table_testdrive', 'select', 'Mixed"Quote', 'with.dot', 'ünïcødé_таблица', 'order by'];
const schemas = ['doc', 'my schema', 'group'];
const settings: sql.TableSettings[] = [
  { shards: null, replicas: null },
  { shards: 6, replicas: '0-1' },
];

// One typed column of every type (README "Columns").
const typed: ColumnSpec[] = COLUMN_TYPES.map((type) => ({ name: `c_${type}`, path: [type], type, from: type === 'timestamp' ? 'iso8601' : null }));

const statements = (schema: string, table: string, s: sql.TableSettings): [string, string][] => [
  ['create state table', sql.createStateTable(schema, table, s)],
  ['create change log', sql.createChangeLogTable(schema, table, s)],
  ['create dead letters', sql.createDeadLetterTable(schema, table, s)],
  ['upsert', sql.upsertRows(schema, table)],
  ['insert change log', sql.insertChangeLog(schema, table)],
  ['insert dead letters', sql.insertDeadLetters(schema, table)],
  ['gate keys', sql.selectGateKeys(schema, table, ['{"id":"a"}', `{"it's":"b\\u0000"}`])],
  ['live rows below', sql.liveRowsBelow(schema, table)],
  ['refresh', sql.refreshTable(schema, table)],
  ['upsert rewriting the same change', sql.upsertRows(schema, table, true)],
  ['insert rows not stored yet', sql.insertRows(schema, table)],
  ['purge candidates', sql.purgeCandidates(schema, table, 10_000)],
  ['delete unchanged', sql.deleteUnchanged(schema, table)],
  ['data columns', sql.selectDataColumns],
  ['primary shard states', sql.primaryShardStates],
  ['list tables', sql.listStateTables],
  ['add typed columns', sql.addTypedColumns(schema, table, typed)],
  ['table columns', sql.selectTableColumns],
  ['upsert with typed columns', sql.upsertRows(schema, table, false, typed)],
  ['upsert rewriting with typed columns', sql.upsertRows(schema, table, true, typed)],
  ['insert with typed columns', sql.insertRows(schema, table, typed)],
  ['count rows', sql.countRows(schema, table)],
  ['stored items page', sql.selectStoredItems(schema, table)],
  ['stored items by key', sql.selectByKeys(schema, table, sql.storedItemColumns, ['{"id":"a"}'])],
  ['update typed columns unchanged', sql.updateTypedColumns(schema, table, typed)],
  ['update a stored row unchanged since its lookup', sql.updateStoredRows(schema, table)],
  ['update a stored row with typed columns', sql.updateStoredRows(schema, table, typed)],
];

// The grammar is a pure function of the text, and most statements do not depend on the table
// settings: each distinct text is parsed once, and every test that emits it gets that outcome.
const outcomes = new Map<string, unknown>();
function parse(stmt: string): void {
  if (!outcomes.has(stmt)) {
    try {
      sqlparse(stmt, true);
      outcomes.set(stmt, null);
    } catch (error) {
      outcomes.set(stmt, error);
    }
  }
  const error = outcomes.get(stmt);
  if (error !== null) throw error;
}

describe('CrateDB statements', () => {
  for (const schema of schemas) {
    for (const table of names) {
      for (const s of settings) {
        for (const [what, stmt] of statements(schema, table, s)) {
          it(`${what} parses for ${JSON.stringify(schema)}.${JSON.stringify(table)}${s.shards ? ' with shards' : ''}`, () => {
            expect(() => parse(stmt)).not.toThrow();
          });
        }
      }
    }
  }

  it('the grammar check can fail: WHERE in ON CONFLICT DO UPDATE is refused', () => {
    const withWhere = `${sql.upsertRows('doc', 't')} WHERE excluded."version" > "version"`;
    expect(() => sqlparse(withWhere, true)).toThrow();
  });
});

// The stand-in cannot run the checkpoint store's statements; a live CrateDB runs them in
// test/integration/checkpoint-store.test.ts.
describe('CrateDB checkpoint store statements', () => {
  for (const schema of ['doc', 'my schema', 'Mixed"Quote']) {
    for (const [what, stmt] of Object.entries(checkpointStatements(schema))) {
      it(`${what} parses in ${JSON.stringify(schema)}`, () => {
        expect(() => sqlparse(stmt, true)).not.toThrow();
      });
    }
  }
});
