import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCdcRecord } from '../../../src/decode/cdc-record.js';
import { decodeCdcBytes } from '../../../src/decode/cdc-bytes.js';
import { decodeCdcText } from '../../../src/decode/cdc-text.js';
import type { Change } from '../../../src/decode/change.js';
import { changeBounds, type ChangeBounds } from '../../../src/decode/change-bounds.js';
import { nowBounds } from '../../support/change-bounds.js';
import { emitRecords, historyArbitrary } from '../../support/dynamo-model.js';
import { fixture } from '../../support/fixtures.js';
import { replaceAt } from '../../support/replace-at.js';

/** What the present path answers for the text: the Change, or that it refuses the record. */
function present(text: string, bounds = nowBounds): Change | 'refused' {
  try {
    return decodeCdcRecord(JSON.parse(text), '', bounds);
  } catch {
    return 'refused';
  }
}

/** A fast reader: what it answers for a text, and whether the service hands it that text. */
interface Reader {
  readonly name: string;
  read(text: string, bounds: ChangeBounds): Change | undefined;
  takes(text: string): boolean;
}

// What base64.ts's isSharedPlain lets through to the byte reader: ASCII, no control character, no backslash.
const PLAIN = /^[\u0020-\u005b\u005d-\u007f]*$/;

const readers: Reader[] = [
  { name: 'decodeCdcText', read: decodeCdcText, takes: () => true },
  {
    name: 'decodeCdcBytes',
    read: (text, bounds) => {
      if (!PLAIN.test(text)) return undefined;
      // The bytes are followed by more, as in the shared buffer: JSON-looking ones, which the reader must not take for its own.
      const bytes = Buffer.alloc(text.length + 64, '"}]1 ,');
      bytes.write(text, 'latin1');
      return decodeCdcBytes(bytes, text.length, bounds);
    },
    takes: (text) => PLAIN.test(text),
  },
];

const shared = '/work/shared/fixtures/dynamodb-kinesis/';
const kinesisFixtures: string[] = [
  ...['seed-insert', 'seed-modify', 'seed-remove', 'binary-double-base64-modify', 'millisecond-modify-unicode'].map((n) =>
    JSON.stringify(fixture(`kinesis/${n}.json`)),
  ),
  ...(() => {
    try {
      return readdirSync(shared).map((f) => readFileSync(shared + f, 'utf8'));
    } catch {
      return []; // the shared fixtures are the same records; the project's own copies suffice
    }
  })(),
];

describe.each(readers)('$name: the same Change as JSON.parse and decodeCdcRecord', (reader) => {
  /** The reader answers only what the present path answers; whether it answered. */
  function agrees(text: string, bounds = nowBounds): boolean {
    const fast = reader.read(text, bounds);
    if (fast !== undefined) expect(fast).toEqual(present(text, bounds));
    return fast !== undefined;
  }

  it('reads every real Kinesis record itself, as the present path reads it', () => {
    for (const text of kinesisFixtures.filter(reader.takes)) expect(agrees(text)).toBe(true);
    expect(kinesisFixtures.filter(reader.takes).length).toBeGreaterThanOrEqual(4);
  });

  it('agrees on the records of random histories, in any spacing; reads the Kinesis ones itself unless they are unusual', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.boolean(), (history, spaced) => {
        for (const record of emitRecords(history).records) {
          const text = spaced ? JSON.stringify(record, null, 2) : JSON.stringify(record);
          const read = agrees(text);
          if ('eventSourceARN' in record) expect(read).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads most Kinesis records of random histories it is given itself', () => {
    let kinesis = 0;
    let read = 0;
    fc.assert(
      fc.property(historyArbitrary, (history) => {
        for (const record of emitRecords(history).records) {
          const text = JSON.stringify(record);
          if ('eventSourceARN' in record || !reader.takes(text)) continue;
          kinesis++;
          if (reader.read(text, nowBounds) !== undefined) read++;
        }
      }),
      { numRuns: 100 },
    );
    // Random attribute names include escapes, digits first and repeats; real ones mostly do not.
    expect(read / kinesis).toBeGreaterThan(0.3);
  });

  it('agrees on real records with any field replaced by arbitrary JSON', () => {
    const mutation = fc.record({
      record: fc.nat(kinesisFixtures.length - 1),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      value: fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom<unknown>(
          undefined,
          null,
          { S: 'x' },
          { N: '1e5' },
          { N: '01.50' },
          { B: 'AA==' },
          { B: 'RWdJSWV3PT0=' },
          { L: [] },
          { SS: [] },
          { NS: ['2', '10', '-1'] },
          { M: {} },
          { BOOL: 1 },
          { NULL: false },
          'REMOVE',
          'MILLISECOND',
          1720742302233,
        ),
      ),
    });
    fc.assert(
      fc.property(mutation, ({ record, picks, value }) => {
        const input = JSON.parse(kinesisFixtures[record]!) as Record<string, unknown>;
        replaceAt(input, picks, value);
        agrees(JSON.stringify(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on real records with their text cut, spliced or given a character anywhere', () => {
    const edit = fc.record({
      record: fc.nat(kinesisFixtures.length - 1),
      at: fc.nat(),
      cut: fc.nat(4),
      insert: fc.oneof(
        fc.constantFrom('', '"', '\\', ',', '{', '}', '[', ']', ':', ' ', '0', '-', 'e', '\u0001', '\\u0041', '\ud83d', 'null', '"S"'),
        fc.string({ maxLength: 3 }),
      ),
    });
    fc.assert(
      fc.property(edit, ({ record, at, cut, insert }) => {
        const text = kinesisFixtures[record]!;
        const where = at % (text.length + 1);
        agrees(text.slice(0, where) + insert + text.slice(where + cut));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves repeated fields and names, names the engine reorders, and Streams records to the present path', () => {
    const seed = fixture('kinesis/seed-modify.json');
    const text = JSON.stringify(seed);
    const unusual = [
      text.replace('"eventName":"MODIFY"', '"eventName":"INSERT","eventName":"MODIFY"'),
      text.replace('"humidity":{"N":"84.84"}', '"humidity":{"N":"84.84"},"humidity":{"N":"1"}'),
      text.replace('"humidity"', '"1humidity"'),
      text.replace('"table-testdrive"', '"table\\u002dtestdrive"'),
    ];
    for (const variant of unusual) {
      expect(variant).not.toBe(text);
      expect(reader.read(variant, nowBounds)).toBeUndefined();
      expect(present(variant)).not.toBe('refused');
    }
    // Streams-shaped (these ones the present path refuses: microseconds taken for seconds).
    for (const variant of [
      text.replace('"dynamodb":{', '"dynamodb":{"SequenceNumber":"1",'),
      text.replace('"awsRegion"', '"eventVersion":"1.1","awsRegion"'),
      text.replace(
        '"awsRegion"',
        '"eventSourceARN":"arn:aws:dynamodb:eu-central-1:123456789012:table/table-testdrive/stream/2024-01-01T00:00:00.000","awsRegion"',
      ),
    ]) {
      expect(variant).not.toBe(text);
      expect(reader.read(variant, nowBounds)).toBeUndefined();
    }
  });

  it('reads escapes inside values and names as JSON.parse does', () => {
    const seed = fixture('kinesis/seed-modify.json');
    seed.dynamodb.NewImage['say "hi" \u00e9'] = { S: 'tab\there \\ \u00e9 \ud83d\ude80 \u2028' };
    seed.dynamodb.NewImage.list = { L: [{ S: 'a\nb' }, { SS: ['\u00e9', 'e', '"'] }, { M: { 'x\\y': { N: '1.50' } } }] };
    const text = JSON.stringify(seed).replace('"foo"', '"f\\u006fo"'); // in Keys: the images spell it plainly
    expect(agrees(text)).toBe(reader.takes(text));
  });

  it('reads numbers, every type and a key whose names sort the other way itself, as the present path does', () => {
    const numbers = ['-0', '-0.00', '1.50', '0.0', '100', '-12.340', '0.000001', '1e5', '-1.5E-3', '00.5', '1'.repeat(38), `0.${'0'.repeat(35)}10`];
    const item: Record<string, unknown> = {
      zone: { S: 'eu' },
      at: { N: '017.50' },
      set: { NS: ['10', '2', '-1.50', '2.0e1'] },
      names: { SS: ['b', 'a', 'A'] },
      blobs: { BS: ['QUFBPQ==', 'QUE9PQ=='] },
      blob: { B: 'QUFBPQ==' },
      flags: { L: [{ BOOL: true }, { BOOL: false }, { NULL: true }, { L: [] }, { M: {} }] },
      nested: { M: { deeper: { M: { list: { L: numbers.map((n) => ({ N: n })) } } } } },
    };
    numbers.forEach((n, i) => (item[`n${i}`] = { N: n }));
    const record = fixture('kinesis/seed-modify.json');
    // Keys spell the number as the images do; the canonical key puts "at" first.
    record.dynamodb.Keys = { zone: { S: 'eu' }, at: { N: '017.50' } };
    record.dynamodb.NewImage = item;
    record.dynamodb.OldImage = { ...item, set: { NS: ['1'] } };
    const text = JSON.stringify(record);
    expect(agrees(text)).toBe(true);
    expect(reader.read(text, nowBounds)?.pk).toBe('{"at":17.5,"zone":"eu"}');
    // Keys spelling the number otherwise hold the same key; another value does not.
    expect(agrees(text.replace('"017.50"}},"NewImage"', '"17.5"}},"NewImage"'))).toBe(true);
    const otherKey = text.replace('{"zone":{"S":"eu"},"at"', '{"zone":{"S":"us"},"at"');
    expect(otherKey).not.toBe(text);
    expect(reader.read(otherKey, nowBounds)).toBeUndefined();
    expect(present(otherKey)).toBe('refused');
  });

  it('refuses, as the present path does, a change dated past the bounds', () => {
    const text = JSON.stringify(fixture('kinesis/seed-insert.json'));
    const early = changeBounds(0, 1);
    expect(reader.read(text, early)).toBeUndefined();
    expect(present(text, early)).toBe('refused');
  });
});
