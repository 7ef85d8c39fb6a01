import { TargetTables } from '../../src/pipeline/target-tables.js';
import { tableNaming } from '../../src/translate/target-name.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeScannedRecord } from '../../src/decode/decode-record.js';
import { createLambdaHandler } from '../../src/lambda/lambda-handler.js';
import { ACCESS_KEY, firehoseRequest } from '../support/firehose.js';
import { kinesisEvent } from '../support/lambda-events.js';
import { kinesisRecord } from '../support/records.js';
import { createHarness, type Harness } from '../support/sinks.js';

// Records that no DynamoDB table can have produced, sent every way the service takes records:
// each is dead-lettered with its reason, and the record beside it is written.

/** One way in: delivers record JSON texts (not objects: some are too deep for JSON.stringify). */
interface WayIn {
  readonly name: string;
  readonly source: string;
  deliver(h: Harness, texts: readonly string[]): Promise<void>;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');
const bearer = { authorization: `Bearer ${ACCESS_KEY}` };
const postRecords = async (h: Harness, body: string) => {
  const response = await h.app.request(new Request('http://sink.test/records', { method: 'POST', headers: bearer, body }));
  expect(response.status, await response.clone().text()).toBe(200);
};
const lambda = (h: Harness, event: unknown) =>
  createLambdaHandler({
    sink: h.sink,
    log: pino({ level: 'silent' }),
    targets: new TargetTables(tableNaming(new Map(), 'cdc_dead_letters'), h.sink),
    changeLog: false,
    futureChangeMarginSeconds: h.config.futureChangeMarginSeconds,
  })(event);

const waysIn: WayIn[] = [
  {
    name: 'POST /firehose',
    source: 'firehose',
    async deliver(h, texts) {
      const body = { requestId: `ways-${Math.random()}`, timestamp: Date.now(), records: texts.map((t) => ({ data: base64(t) })) };
      expect((await h.app.request(firehoseRequest(body, { gzip: true }))).status).toBe(200);
    },
  },
  { name: 'POST /records, a JSON array', source: 'records', deliver: (h, texts) => postRecords(h, `[${texts.join(',')}]`) },
  { name: 'POST /records, NDJSON', source: 'records', deliver: (h, texts) => postRecords(h, `${texts.join('\n')}\n`) },
  {
    name: 'Lambda, Kinesis event source',
    source: 'lambda',
    async deliver(h, texts) {
      expect(await lambda(h, kinesisEvent(texts.map(base64)))).toEqual({ batchItemFailures: [] });
    },
  },
  {
    name: 'Lambda, DynamoDB Streams event source',
    source: 'lambda',
    async deliver(h, texts) {
      // Lambda's runtime parses the event; JSON.parse itself does not recurse.
      expect(await lambda(h, JSON.parse(`{"Records":[${texts.join(',')}]}`))).toEqual({ batchItemFailures: [] });
    },
  },
];

const HOUR_MICROS = 3_600_000_000;
const datedRecordText = (id: string, micros: number) => JSON.stringify(kinesisRecord({ table: 'ways_in', id, micros }));

/** A record whose item holds an attribute nested `levels` maps deep, as JSON text. */
function nestedRecordText(id: string, levels: number): string {
  const text = JSON.stringify(kinesisRecord({ table: 'ways_in', id, micros: Date.now() * 1000, attributes: { deep: { S: '<deep>' } } }));
  return text.replace('{"S":"<deep>"}', `${'{"M":{"d":'.repeat(levels)}{"S":"x"}${'}}'.repeat(levels)}`);
}

describe('every way in', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite');
  });
  afterAll(async () => h?.close());

  const written = async (id: string) => (await h.query('SELECT pk FROM ways_in WHERE pk = $1', [JSON.stringify({ id })])).length;
  /** Dead letters of this record: its payload is the record as it came (text, or base64 of it). */
  const deadLetter = async (text: string) =>
    h.query<{ error: string; payload: string; source: string }>('SELECT error, payload, source FROM cdc_dead_letters WHERE payload IN ($1, $2)', [
      text,
      base64(text),
    ]);

  describe.each(waysIn)('$name', (way) => {
    const slug = way.name.replace(/[^a-z]+/gi, '-');

    it('dead-letters a change dated more than a day past the clock (2255, or two days), and applies one an hour ahead', async () => {
      const now = Date.now() * 1000;
      const far = datedRecordText(`${slug}-2255`, Date.UTC(2255, 0, 1) * 1000);
      const soon = datedRecordText(`${slug}-two-days`, now + 48 * HOUR_MICROS);
      await way.deliver(h, [far, datedRecordText(`${slug}-hour`, now + HOUR_MICROS), soon]);
      expect(await written(`${slug}-hour`)).toBe(1);
      for (const [id, text, when] of [
        [`${slug}-2255`, far, '2255-01-01T00:00:00.000Z'],
        [`${slug}-two-days`, soon, ''],
      ] as const) {
        expect(await written(id)).toBe(0);
        const [letter, ...more] = await deadLetter(text);
        expect(more).toEqual([]);
        expect(letter!.source).toBe(way.source);
        expect(letter!.error).toMatch(/dynamodb\.ApproximateCreationDateTime: dated \S+, more than 86400 s past this service's clock: not applied/);
        expect(letter!.error).toContain(when);
      }
    });

    it('dead-letters a record nested 100,000 levels deep with its reason, and writes the one beside it', async () => {
      const deep = nestedRecordText(`${slug}-deep`, 100_000);
      await way.deliver(h, [nestedRecordText(`${slug}-beside`, 3), deep]);
      expect(await written(`${slug}-beside`)).toBe(1);
      expect(await written(`${slug}-deep`)).toBe(0);
      const [letter, ...more] = await deadLetter(deep);
      expect(more).toEqual([]);
      expect(letter!.source).toBe(way.source);
      expect(letter!.error).toMatch(/nested deeper than (32|100) levels/);
    });
  });

  it('takes the margin from FUTURE_CHANGE_MARGIN_SECONDS', async () => {
    const strict = await createHarness('pglite', { FUTURE_CHANGE_MARGIN_SECONDS: '60' });
    try {
      const now = Date.now() * 1000;
      const texts = [datedRecordText('margin-ahead', now + 300_000_000), datedRecordText('margin-within', now + 30_000_000)];
      await waysIn[1]!.deliver(strict, texts);
      expect(await strict.query('SELECT pk FROM ways_in ORDER BY pk')).toEqual([{ pk: JSON.stringify({ id: 'margin-within' }) }]);
      const [letter] = await strict.query<{ error: string }>('SELECT error FROM cdc_dead_letters');
      expect(letter!.error).toMatch(/^records\[0\]\.dynamodb\.ApproximateCreationDateTime: dated .*, more than 60 s past this service's clock/);
    } finally {
      await strict.close();
    }
  });

  it('the backfill: a scanned item nested too deep is dead-lettered with its reason, before anything recurses through it', () => {
    const text = `{"id":{"S":"scan-deep"},"deep":${'{"M":{"d":'.repeat(100_000)}{"S":"x"}${'}}'.repeat(100_000)}}`;
    const decoded = decodeScannedRecord(JSON.parse(text), 4, { table: 'ways_in', keyNames: ['id'], version: -1, runId: 'backfill:1' });
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.index).toBe(4);
    expect(decoded.error).toMatch(/^Items\[4\]: nested deeper than 100 levels/);
    expect(decoded.payload === text).toBe(true);
  });
});
