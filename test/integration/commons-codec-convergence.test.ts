import { isLosslessNumber, parse } from 'lossless-json';
import { expect, it } from 'vitest';
import { assertConverges } from '../support/convergence-deliveries.js';
import { expectedPk, type History, type Item, type Value } from '../support/dynamo-model.js';
import { crateDbTargets, describeTargets, type Harness, type SinkTarget } from '../support/sinks.js';

// The convergence property of test/integration/convergence.test.ts for LAYOUT=commons-codec: the
// user's table, as commons-codec's users read it, equals the final DynamoDB state (deleted items
// gone) over random histories delivered shuffled, duplicated and split, with poison records.
const RUNS = Math.max(200, Number(process.env.PROPERTY_RUNS ?? 0));
const timeoutFor = (target: SinkTarget) => Math.max(60_000, RUNS * 250) * target.timeScale;
const BIGINT_MAX = 2n ** 63n - 2n;

type Stored = Record<string, unknown>;

/** The user table's rows, numbers parsed without loss: `pk`, and `data` with `aux` by attribute name. */
async function userRows(h: Harness, table: string): Promise<{ pk: Stored; attributes: Stored }[]> {
  const rows = h.standIn
    ? (await h.query<Record<string, string>>(`SELECT pk::text AS pk, data::text AS data, aux::text AS aux FROM "${table}"`)).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, parse(v)])),
      )
    : await h.query<Record<string, unknown>>(`SELECT pk, data, aux FROM "${table}"`);
  return rows.map((r) => ({ pk: r.pk as Stored, attributes: { ...(r.data as Stored), ...(r.aux as Stored) } }));
}

/**
 * A key the table holds: named as a CrateDB column may be, and an N that a BIGINT key column holds;
 * any other item is dead-lettered, never in the table.
 */
function fitsKey(keys: Item): boolean {
  const named = Object.keys(keys).every((name) => !/[.[\]\t\r\n]/.test(name));
  return named && Object.values(keys).every((v) => !('N' in v) || (/^-?\d+$/.test(v.N) && BigInt(v.N) <= BIGINT_MAX && BigInt(v.N) >= -BIGINT_MAX));
}

/** A stored value against the model's: numbers as doubles where exact, else as their decimal text (aux). */
function codecMismatch(expected: Value, actual: unknown, path: string): string | null {
  const fail = (what: string) => `${path}: expected ${what}, got ${JSON.stringify(actual, (_k, x) => (isLosslessNumber(x) ? `#${x.value}` : x))}`;
  const number = (n: string, a: unknown) => (isLosslessNumber(a) || typeof a === 'number' ? Number(String(a)) === Number(n) : a === n);
  const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  if ('S' in expected) return actual === expected.S ? null : fail(JSON.stringify(expected.S));
  if ('N' in expected) return number(expected.N, actual) ? null : fail(`number ${expected.N}`);
  if ('B' in expected) return actual === base64(expected.B) ? null : fail('base64 bytes');
  if ('BOOL' in expected) return actual === expected.BOOL ? null : fail(String(expected.BOOL));
  if ('NULL' in expected) return actual === null ? null : fail('null');
  if ('SS' in expected || 'NS' in expected || 'BS' in expected) {
    if (!Array.isArray(actual)) return fail('a set (array)');
    const want: string[] = 'SS' in expected ? expected.SS : 'NS' in expected ? expected.NS : expected.BS.map(base64);
    const same = (w: string, a: unknown) => ('NS' in expected ? number(w, a) : a === w);
    return actual.length === want.length && want.every((w) => actual.some((a) => same(w, a))) ? null : fail(`set ${JSON.stringify(want)}`);
  }
  if ('L' in expected) {
    if (!Array.isArray(actual) || actual.length !== expected.L.length) return fail(`list of ${expected.L.length}`);
    for (const [i, v] of expected.L.entries()) {
      const m = codecMismatch(v, actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  return attributesMismatch(expected.M, actual, path);
}

function attributesMismatch(expected: Item, actual: unknown, path: string): string | null {
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${path}: expected an object`;
  const got = actual as Stored;
  const names = (o: object) => Object.keys(o).sort();
  if (JSON.stringify(names(expected)) !== JSON.stringify(names(got))) return `${path}: names differ (${names(expected).join(',')} / ${names(got).join(',')})`;
  for (const [name, v] of Object.entries(expected)) {
    const m = codecMismatch(v, got[name], `${path}[${JSON.stringify(name)}]`);
    if (m) return m;
  }
  return null;
}

describeTargets('commons-codec convergence into', crateDbTargets, { LAYOUT: 'commons-codec' }, (h, target) => {
  it(
    `every user table equals the final DynamoDB state, over ${RUNS} random histories`,
    async () => {
      await assertConverges(h, RUNS, 'c', async ({ name, table, finalState }) => {
        const keyNames = table.keys.map((k) => k.name);
        const live = [...finalState.values()].filter((item) => fitsKey(Object.fromEntries(keyNames.map((k) => [k, item[k]!]))));
        // A user table exists once an item with a key it can hold was written.
        const exists = await h.tableExists(name);
        const rows = exists ? await userRows(h, name) : [];
        expect(rows.length, `${name}: one row per live item`).toBe(live.length);
        const byPk = new Map(rows.map((r) => [expectedPk(pkItem(r.pk, table.keys)), r]));
        for (const item of live) {
          const pk = expectedPk(Object.fromEntries(keyNames.map((k) => [k, item[k]!])));
          const row = byPk.get(pk);
          expect(row, `${name}: row ${pk}`).toBeDefined();
          const rest = Object.fromEntries(Object.entries(item).filter(([k]) => !keyNames.includes(k)));
          expect(attributesMismatch(rest, row!.attributes, `${name} ${pk}`)).toBeNull();
        }
        if (exists) await h.dropTable(name);
        await h.dropTable(`${name}__cdc_state`);
      });
    },
    timeoutFor(target),
  );
});

/** A stored `pk` object → the model's key item, so that `expectedPk` spells both alike. */
function pkItem(pk: Stored, keys: History['tables'][number]['keys']): Item {
  return Object.fromEntries(
    keys.map(({ name, type }) => {
      const v = pk[name];
      if (type === 'N') return [name, { N: String(isLosslessNumber(v) ? v.value : v) }];
      if (type === 'B') return [name, { B: Buffer.from(String(v), 'base64') }];
      return [name, { S: String(v) }];
    }),
  );
}
