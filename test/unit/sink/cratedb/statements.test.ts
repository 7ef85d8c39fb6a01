import { sqlparse } from '@cratedb/cratedb-sqlparse';
import { describe, expect, it } from 'vitest';
import * as sql from '../../../../src/sink/cratedb/statements.js';

// Every statement the CrateDB sink can emit, for names that need quoting, must parse with
// CrateDB's own grammar (CrateDB 6.1, @cratedb/cratedb-sqlparse).
const names = ['table_testdrive', 'select', 'Mixed"Quote', 'with.dot', 'ünïcødé_таблица', 'order by'];
const schemas = ['doc', 'my schema', 'group'];
const settings: sql.TableSettings[] = [
  { shards: null, replicas: null },
  { shards: 6, replicas: '0-1' },
];

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
];

describe('CrateDB statements', () => {
  for (const schema of schemas) {
    for (const table of names) {
      for (const s of settings) {
        for (const [what, stmt] of statements(schema, table, s)) {
          it(`${what} parses for ${JSON.stringify(schema)}.${JSON.stringify(table)}${s.shards ? ' with shards' : ''}`, () => {
            expect(() => sqlparse(stmt, true)).not.toThrow();
          });
        }
      }
    }
  }

  it('the grammar check can fail: WHERE in ON CONFLICT DO UPDATE is refused', () => {
    const withWhere = `${sql.upsertRows('doc', 't')} WHERE excluded."version" > "version"`;
    expect(() => sqlparse(withWhere, true)).toThrow();
  });

  it('never assigns the primary key and guards every assignment with the version gate', () => {
    const upsert = sql.upsertRows('doc', 't');
    const sets = upsert.slice(upsert.indexOf('DO UPDATE SET') + 'DO UPDATE SET'.length).split(/,\n/);
    expect(sets).toHaveLength(sql.upsertColumns.length - 1);
    expect(sets.some((s) => /^\s*"pk"\s*=/.test(s))).toBe(false);
    for (const s of sets) expect(s).toContain('CASE WHEN (excluded."version" > "version"');
  });

  it('looks keys up as literals, quotes doubled, so that the lookup is real-time', () => {
    expect(sql.selectGateKeys('doc', 't', [`{"k":"it's"}`, '{"k":"b"}'])).toContain(`WHERE "pk" = ANY(['{"k":"it''s"}', '{"k":"b"}'])`);
  });

  it('the rewrite replaces the same change, the normal upsert only a newer one', () => {
    expect(sql.upsertRows('doc', 't')).toContain('excluded."event_id" > "event_id"');
    expect(sql.upsertRows('doc', 't', true)).toContain('excluded."event_id" >= "event_id"');
  });

  it('binds one parameter per column', () => {
    expect(sql.upsertRows('doc', 't').match(/\?/g)).toHaveLength(sql.upsertColumns.length);
    expect(sql.insertChangeLog('doc', 't').match(/\?/g)).toHaveLength(sql.changeLogColumns.length);
    expect(sql.insertDeadLetters('doc', 't').match(/\?/g)).toHaveLength(sql.deadLetterColumns.length);
  });
});
