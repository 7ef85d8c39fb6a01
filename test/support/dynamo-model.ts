import { randomUUID } from 'node:crypto';
import fc from 'fast-check';

/**
 * A small model of DynamoDB for property tests: typed values, tables and operation histories,
 * the CDC records DynamoDB would emit for them (in either stream format), and the final state.
 */
export type Value =
  | { S: string }
  | { N: string }
  | { B: Uint8Array }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: Record<string, Value> }
  | { L: Value[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Uint8Array[] };

export type Item = Record<string, Value>;
export type KeyType = 'S' | 'N' | 'B';
export type StreamFormat = 'kinesis-us' | 'kinesis-ms' | 'streams';

export interface TableSpec {
  readonly name: string;
  readonly format: StreamFormat;
  readonly keys: readonly { name: string; type: KeyType }[];
}

export type Operation =
  | { readonly kind: 'put'; readonly table: number; readonly key: number; readonly attributes: Item }
  | { readonly kind: 'delete'; readonly table: number; readonly key: number; readonly ttl: boolean };

export interface History {
  readonly tables: readonly TableSpec[];
  readonly keyPools: readonly (readonly Item[])[];
  readonly operations: readonly Operation[];
}

// Numbers in the canonical form DynamoDB emits: no exponent, every digit kept.
const canonicalNumber = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.tuple(fc.integer({ min: -999, max: 999 }), fc.integer({ min: 1, max: 999 })).map(([i, f]) => `${i}.${String(f).replace(/0+$/, '') || '5'}`),
  fc.bigInt({ min: 10n ** 37n, max: 10n ** 38n - 1n }).map(String), // 38 significant digits
  fc.integer({ min: 1, max: 125 }).map((zeros) => `1${'0'.repeat(zeros)}`), // up to 1E+125
  fc.integer({ min: 0, max: 129 }).map((zeros) => `0.${'0'.repeat(zeros)}1`), // down to 1E-130
  fc.constant('-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001'),
);
// PostgreSQL text cannot hold U+0000 (a documented limit: such records are dead-lettered).
const noNul = (s: string) => !s.includes('\u0000');
const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter(noNul);
const bytes = fc.uint8Array({ minLength: 0, maxLength: 16 });
const attributeName = fc.oneof(
  fc.constantFrom('a.b', 'say "hi"', 'list[0]', 'ünïcødé', '🚀 rocket', 'back\\slash', 'tab\there', 'x'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter(noNul),
);

const value: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((S) => ({ S })),
    canonicalNumber.map((N) => ({ N })),
    bytes.map((B) => ({ B })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true as const }),
    fc.uniqueArray(text, { minLength: 1, maxLength: 4 }).map((SS) => ({ SS })),
    fc.uniqueArray(canonicalNumber, { minLength: 1, maxLength: 4 }).map((NS) => ({ NS })),
    fc
      .uniqueArray(
        bytes.filter((b) => b.length > 0),
        { minLength: 1, maxLength: 3, selector: (b) => Buffer.from(b).toString('hex') },
      )
      .map((BS) => ({ BS })),
    fc.dictionary(attributeName, tie('value'), { maxKeys: 3 }).map((M) => ({ M })),
    fc.array(tie('value'), { maxLength: 3 }).map((L) => ({ L })),
  ),
})).value;

const keyValue = (type: KeyType): fc.Arbitrary<Value> =>
  type === 'S'
    ? text.filter((s) => s.length > 0).map((S) => ({ S }))
    : type === 'N'
      ? canonicalNumber.map((N) => ({ N }))
      : bytes.filter((b) => b.length > 0).map((B) => ({ B }));

/** The source tables a history may write to. */
export const TABLE_NAMES = ['table-testdrive', 'Orders.2024', 'sensor_readings', 'UPPER-case'];

const tableSpec = (name: string): fc.Arbitrary<TableSpec> =>
  fc
    .record({
      format: fc.constantFrom<StreamFormat>('kinesis-us', 'kinesis-ms', 'streams'),
      pkType: fc.constantFrom<KeyType>('S', 'N', 'B'),
      sk: fc.option(fc.constantFrom<KeyType>('S', 'N', 'B'), { nil: undefined }),
    })
    .map(({ format, pkType, sk }) => ({
      name,
      format,
      keys: sk
        ? [
            { name: 'id', type: pkType },
            { name: 'sort.key', type: sk },
          ]
        : [{ name: 'id', type: pkType }],
    }));

export const historyArbitrary: fc.Arbitrary<History> = fc
  .subarray(TABLE_NAMES, { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(...names.map(tableSpec)))
  .chain((tables) => {
    const keyPools = fc.tuple(
      ...tables.map((t) =>
        fc
          .uniqueArray(fc.tuple(...t.keys.map((k) => keyValue(k.type))), { minLength: 1, maxLength: 3, selector: (vs) => JSON.stringify(vs, binaryReplacer) })
          .map((tuples) => tuples.map((vs) => Object.fromEntries(t.keys.map((k, i) => [k.name, vs[i]!])))),
      ),
    );
    return keyPools.chain((pools) => {
      const operation: fc.Arbitrary<Operation> = fc.integer({ min: 0, max: tables.length - 1 }).chain((table) =>
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc.record({
              kind: fc.constant('put' as const),
              table: fc.constant(table),
              key: fc.nat(pools[table]!.length - 1),
              attributes: fc.dictionary(
                attributeName.filter((n) => n !== 'id' && n !== 'sort.key'),
                value,
                { maxKeys: 4 },
              ),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({ kind: fc.constant('delete' as const), table: fc.constant(table), key: fc.nat(pools[table]!.length - 1), ttl: fc.boolean() }),
          },
        ),
      );
      return fc.array(operation, { minLength: 1, maxLength: 25 }).map((operations) => ({ tables, keyPools: pools, operations }));
    });
  });

function binaryReplacer(_key: string, v: unknown): unknown {
  return v instanceof Uint8Array ? `b:${Buffer.from(v).toString('hex')}` : v;
}

/** The DynamoDB wire form of a value, with binary encoded once (Streams) or twice (Kinesis). */
export function toAttributeValue(v: Value, format: StreamFormat): Record<string, unknown> {
  const b64 = (b: Uint8Array) => {
    const once = Buffer.from(b).toString('base64');
    return format === 'streams' ? once : Buffer.from(once, 'latin1').toString('base64');
  };
  if ('B' in v) return { B: b64(v.B) };
  if ('BS' in v) return { BS: v.BS.map(b64) };
  if ('M' in v) return { M: toItem(v.M, format) };
  if ('L' in v) return { L: v.L.map((x) => toAttributeValue(x, format)) };
  return { ...v };
}

export function toItem(item: Item, format: StreamFormat): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, toAttributeValue(v, format)]));
}

export interface Emitted {
  /** The CDC records in the order DynamoDB produced them. */
  readonly records: Record<string, unknown>[];
  /** Final state per table: pk → item. */
  readonly finalState: Map<string, Item>[];
  /** Every pk a record was emitted for, per table. */
  readonly touched: Set<string>[];
}

/**
 * Runs the operations against an in-memory DynamoDB and returns the CDC records it would stream.
 * Time moves forward by whole units of each format's clock, so that every change of a key has a
 * distinct version (Streams records share seconds but carry increasing SequenceNumbers).
 */
export function emitRecords(history: History, startMicros = 1_720_000_000_000_000): Emitted {
  const state = history.tables.map(() => new Map<string, Item>());
  const touched = history.tables.map(() => new Set<string>());
  const records: Record<string, unknown>[] = [];
  let micros = startMicros;
  // Starts just below a power of ten so that comparing sequence numbers as text would go wrong.
  let sequence = 10n ** 20n - 3n;
  for (const op of history.operations) {
    const table = history.tables[op.table]!;
    const keys = history.keyPools[op.table]![op.key]!;
    const pk = expectedPk(keys);
    const before = state[op.table]!.get(pk);
    let eventName: string;
    let after: Item | undefined;
    if (op.kind === 'put') {
      after = { ...op.attributes, ...keys };
      eventName = before ? 'MODIFY' : 'INSERT';
      state[op.table]!.set(pk, after);
    } else {
      if (!before) continue; // deleting a missing item emits nothing
      eventName = 'REMOVE';
      state[op.table]!.delete(pk);
    }
    micros += table.format === 'kinesis-us' ? 1 + (op.key % 3) : 1000;
    sequence += 1n + BigInt(op.key);
    touched[op.table]!.add(pk);
    records.push(cdcRecord(table, eventName, keys, before, after, micros, sequence, op.kind === 'delete' && op.ttl));
  }
  return { records, finalState: state, touched };
}

function cdcRecord(
  table: TableSpec,
  eventName: string,
  keys: Item,
  before: Item | undefined,
  after: Item | undefined,
  micros: number,
  sequence: bigint,
  ttl: boolean,
): Record<string, unknown> {
  const f = table.format;
  const dynamodb: Record<string, unknown> = { Keys: toItem(keys, f), SizeBytes: 100 };
  if (after) dynamodb.NewImage = toItem(after, f);
  if (before) dynamodb.OldImage = toItem(before, f);
  const identity = ttl ? { type: 'Service', principalId: 'dynamodb.amazonaws.com' } : null;
  if (f === 'streams') {
    dynamodb.ApproximateCreationDateTime = Math.floor(micros / 1e6);
    dynamodb.SequenceNumber = sequence.toString();
    dynamodb.StreamViewType = 'NEW_AND_OLD_IMAGES';
    const record: Record<string, unknown> = {
      eventID: randomUUID(),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:dynamodb:us-east-1:111122223333:table/${table.name}/stream/2024-07-12T00:00:00.000`,
      dynamodb,
    };
    if (identity) record.userIdentity = identity;
    return record;
  }
  if (f === 'kinesis-us') {
    dynamodb.ApproximateCreationDateTime = micros;
    dynamodb.ApproximateCreationDateTimePrecision = 'MICROSECOND';
  } else {
    dynamodb.ApproximateCreationDateTime = Math.floor(micros / 1000);
  }
  return {
    awsRegion: 'us-east-1',
    eventID: randomUUID(),
    eventName,
    userIdentity: identity,
    recordFormat: 'application/json',
    tableName: table.name,
    dynamodb,
    eventSource: 'aws:dynamodb',
  };
}

/** The documented pk contract: key attributes sorted by name, as a JSON object (N exact, B base64). */
export function expectedPk(keys: Item): string {
  const names = Object.keys(keys).sort();
  return `{${names.map((n) => `${JSON.stringify(n)}:${scalarJson(keys[n]!)}`).join(',')}}`;
}

function scalarJson(v: Value): string {
  if ('S' in v) return JSON.stringify(v.S);
  if ('N' in v) return v.N;
  if ('B' in v) return JSON.stringify(Buffer.from(v.B).toString('base64'));
  throw new Error('key attributes are S, N or B');
}

/** Compares a stored `data` value (parsed with lossless numbers) with the model item; null when equal. */
export function mismatch(expected: Value, actual: unknown, path = '$'): string | null {
  const fail = (what: string) => `${path}: expected ${what}, got ${JSON.stringify(actual, (_k, x) => (isLossless(x) ? `#${x.value}` : x))}`;
  if ('S' in expected) return actual === expected.S ? null : fail(JSON.stringify(expected.S));
  if ('N' in expected) return isLossless(actual) && actual.value === expected.N ? null : fail(`number ${expected.N}`);
  if ('B' in expected) return actual === Buffer.from(expected.B).toString('base64') ? null : fail('base64 bytes');
  if ('BOOL' in expected) return actual === expected.BOOL ? null : fail(String(expected.BOOL));
  if ('NULL' in expected) return actual === null ? null : fail('null');
  if ('SS' in expected || 'NS' in expected || 'BS' in expected) {
    const want = ('SS' in expected ? expected.SS : 'NS' in expected ? expected.NS : expected.BS.map((b) => Buffer.from(b).toString('base64'))).slice().sort();
    if (!Array.isArray(actual)) return fail('a set (array)');
    const got = actual.map((x) => (isLossless(x) ? x.value : x)).sort();
    return JSON.stringify(got) === JSON.stringify(want) ? null : fail(`set ${JSON.stringify(want)}`);
  }
  if ('L' in expected) {
    if (!Array.isArray(actual) || actual.length !== expected.L.length) return fail(`list of ${expected.L.length}`);
    for (let i = 0; i < expected.L.length; i++) {
      const m = mismatch(expected.L[i]!, actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  return mapMismatch(expected.M, actual, path);
}

export function mapMismatch(expected: Item, actual: unknown, path = '$'): string | null {
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${path}: expected an object`;
  const got = actual as Record<string, unknown>;
  const missing = Object.keys(expected).filter((k) => !(k in got));
  const extra = Object.keys(got).filter((k) => !(k in expected));
  if (missing.length || extra.length) return `${path}: keys differ (missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)})`;
  for (const [k, v] of Object.entries(expected)) {
    const m = mismatch(v, got[k], `${path}[${JSON.stringify(k)}]`);
    if (m) return m;
  }
  return null;
}

function isLossless(x: unknown): x is { value: string } {
  return typeof x === 'object' && x !== null && (x as { isLosslessNumber?: boolean }).isLosslessNumber === true;
}
