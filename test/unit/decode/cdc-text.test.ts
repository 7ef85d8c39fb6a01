import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCdcRecord } from '../../../src/decode/cdc-record.js';
import { decodeCdcText } from '../../../src/decode/cdc-text.js';
import type { Change } from '../../../src/decode/change.js';
import { changeBounds } from '../../../src/decode/change-bounds.js';
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

/** The fast reader answers only what the present path answers; how often it answered. */
function agrees(text: string, bounds = nowBounds): boolean {
  const fast = decodeCdcText(text, bounds);
  if (fast !== undefined) expect(fast).toEqual(present(text, bounds));
  return fast !== undefined;
}

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

describe('decodeCdcText: the same Change as JSON.parse and decodeCdcRecord', () => {
  it('reads every real Kinesis record itself, as the present path reads it', () => {
    for (const text of kinesisFixtures) {
      expect(decodeCdcText(text, nowBounds)).toBeDefined();
      expect(agrees(text)).toBe(true);
    }
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

  it('reads most Kinesis records of random histories itself', () => {
    let kinesis = 0;
    let read = 0;
    fc.assert(
      fc.property(historyArbitrary, (history) => {
        for (const record of emitRecords(history).records) {
          if ('eventSourceARN' in record) continue;
          kinesis++;
          if (decodeCdcText(JSON.stringify(record), nowBounds) !== undefined) read++;
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
      expect(decodeCdcText(variant, nowBounds)).toBeUndefined();
      expect(present(variant)).not.toBe('refused');
    }
    // Streams-shaped (these ones the present path refuses: microseconds taken for seconds).
    for (const variant of [
      text.replace('"dynamodb":{', '"dynamodb":{"SequenceNumber":"1",'),
      text.replace('"awsRegion"', '"eventVersion":"1.1","awsRegion"'),
    ]) {
      expect(variant).not.toBe(text);
      expect(decodeCdcText(variant, nowBounds)).toBeUndefined();
    }
  });

  it('reads escapes inside values and names as JSON.parse does', () => {
    const seed = fixture('kinesis/seed-modify.json');
    seed.dynamodb.NewImage['say "hi" \u00e9'] = { S: 'tab\there \\ \u00e9 \ud83d\ude80 \u2028' };
    seed.dynamodb.NewImage.list = { L: [{ S: 'a\nb' }, { SS: ['\u00e9', 'e', '"'] }, { M: { 'x\\y': { N: '1.50' } } }] };
    const text = JSON.stringify(seed).replace('"foo"', '"f\\u006fo"'); // in Keys: the images spell it plainly
    expect(agrees(text)).toBe(true);
  });

  it('refuses, as the present path does, a change dated past the bounds', () => {
    const text = JSON.stringify(fixture('kinesis/seed-insert.json'));
    const early = changeBounds(0, 1);
    expect(decodeCdcText(text, early)).toBeUndefined();
    expect(present(text, early)).toBe('refused');
  });
});
