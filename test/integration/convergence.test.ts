import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseLossless } from 'lossless-json';
import { expect, it } from 'vitest';
import { parseColumnMap, type ColumnMap, type ColumnSpec } from '../../src/config/column-map.js';
import { assertConverges } from '../support/convergence-deliveries.js';
import { expectedPk, mapMismatch, TABLE_NAMES } from '../support/dynamo-model.js';
import { reassemble } from '../support/reassemble.js';
import { describeTargets, sinkTargets, type Harness, type SinkTarget } from '../support/sinks.js';
import type { RowFlavour } from '../support/stored-rows.js';
import { typedMismatch, typedSelect } from '../support/typed-column-reads.js';

// The acceptance bar is 200 histories per database per run; PROPERTY_RUNS raises it for soak runs.
const RUNS = Math.max(200, Number(process.env.PROPERTY_RUNS ?? 0));
// About 50 ms a history into PGlite on this 2-core machine (250 allowed), each target in its
// proportion; soak runs get time in proportion too.
const timeoutFor = (target: SinkTarget, runs: number) => Math.max(60_000, runs * 250) * target.timeScale;

/** Random histories: every target table equals DynamoDB's final state (and, with `specs`, its typed columns). */
function converges(h: Harness, runs: number, specs?: ColumnMap): Promise<void> {
  return assertConverges(
    h,
    runs,
    'r',
    async ({ name, table, finalState, touched, keyPool }) => {
      const rows = await h.rows(name);
      expect(rows.length, `${name}: one row per key ever written`).toBe(touched.size);
      const byPk = new Map(rows.map((r) => [r.pk, r]));
      const columns = specs?.get(name);
      const typed = columns ? await typedRows(h, name, columns) : undefined;
      for (const pk of touched) {
        const row = byPk.get(pk);
        expect(row, `${name}: row ${pk}`).toBeDefined();
        const item = finalState.get(pk);
        if (item === undefined) {
          expect(row!.deleted, `${name} ${pk} is deleted in DynamoDB`).toBe(true);
        } else {
          expect(row!.deleted, `${name} ${pk} is live in DynamoDB`).toBe(false);
          expect(expectedPk(Object.fromEntries(table.keys.map((k) => [k.name, item[k.name]!]))), 'pk contract').toBe(pk);
          expect(mapMismatch(item, parseLossless(row!.item)), `${name} ${pk}`).toBeNull();
          // What `data` holds plus what `aux` kept aside (CrateDB) is the whole item.
          expect(mapMismatch(item, reassemble(row!.data, row!.aux)), `${name} ${pk} data+aux`).toBeNull();
        }
        if (columns && typed) {
          // A tombstone's columns come from its key.
          const source = item ?? keyPool.find((keys) => expectedPk(keys) === pk)!;
          expect(typedMismatch(columns, source, typed.get(pk)!, flavourOf(h)), `${name} ${pk} typed columns`).toBeNull();
        }
      }
      await h.dropTable(name);
    },
    // Shrinking runs a history under a new run number, whose tables the column map does not name:
    // with a map, the first counterexample is the report.
    { endOnFailure: specs !== undefined },
  );
}

const targetName = (source: string) => source.toLowerCase().replace(/[^a-z0-9_]/g, '_');
const flavourOf = (h: Harness): RowFlavour => (h.target === 'cratedb' || h.target === 'cratedb-stand-in' ? h.target : 'postgres');

async function typedRows(h: Harness, table: string, columns: readonly ColumnSpec[]): Promise<Map<string, Record<string, unknown>>> {
  const rows = await h.query<Record<string, unknown>>(`SELECT pk, ${typedSelect(columns, flavourOf(h))} FROM "${table}"`);
  return new Map(rows.map((r) => [String(r.pk), r]));
}

// The live CrateDB target runs only where CRATEDB_URL is set (npm run test:cratedb).
describeTargets('convergence into', sinkTargets, {}, (h, target) => {
  it(`every target table equals the final DynamoDB state, over ${RUNS} random histories`, () => converges(h, RUNS), timeoutFor(target, RUNS));
});

// The same with COLUMN_MAP: every type of column over four of the model's frequent attribute
// names (one holding a dot, two beyond ASCII), and the key, for each table a run can write to;
// fewer histories.
const MAPPED_RUNS = Math.max(25, Math.round(RUNS / 8));
const attributes: [string, string][] = [
  ['x', 'x'],
  ['dotted', '"a.b"'],
  ['unicode', '"ünïcødé"'],
  ['rocket', '"🚀 rocket"'],
];
const types = ['text', 'bigint', 'numeric', 'double', 'boolean', 'timestamp, from: epoch_millis', 'json', 'object'];
const mappedColumns = [
  '  key_text: { path: id, type: text }',
  ...attributes.flatMap(([prefix, name]) => types.map((type) => `  ${prefix}_${type.split(',')[0]}: { path: [${name}], type: ${type} }`)),
].join('\n');
const mapFile = join(mkdtempSync(join(tmpdir(), 'convergence-')), 'columns.yaml');
writeFileSync(
  mapFile,
  Array.from({ length: MAPPED_RUNS }, (_, i) => TABLE_NAMES.map((name) => `${targetName(`r${i + 1}-${name}`)}:\n${mappedColumns}`).join('\n')).join('\n'),
);
const mapped = parseColumnMap(readFileSync(mapFile, 'utf8'), mapFile);
if (!mapped.ok) throw new Error(mapped.problems.join('; '));
const columnMap = mapped.map;

describeTargets('convergence with a column map into', sinkTargets, { COLUMN_MAP: mapFile }, (h, target) => {
  it(
    `every target table and its typed columns equal the final DynamoDB state, over ${MAPPED_RUNS} random histories`,
    () => converges(h, MAPPED_RUNS, columnMap),
    timeoutFor(target, MAPPED_RUNS),
  );
});
