import { decodeFirehoseBody } from '../src/decode/firehose-body.js';
import { translate } from '../src/translate/translate.js';
import { unclaimedTargets } from '../src/translate/target-name.js';
import type { Delivery } from './generate.js';
import { median } from './median.js';
import { changeBounds } from '../src/decode/change-bounds.js';

/**
 * (a) decode + translate against its floor: the same body JSON-parsed, each record's data
 * base64-decoded and JSON-parsed, and nothing else. Runs alternate so that noise hits both.
 */
export interface DecodeFigures {
  readonly records: number;
  readonly oursPerSecond: number;
  readonly floorPerSecond: number;
  readonly ratio: number;
}

function ours(body: Buffer): number {
  const parsed = decodeFirehoseBody(body, changeBounds(Date.now(), 24 * 3600));
  if (!parsed.ok) throw new Error(parsed.error);
  const { batch } = translate(parsed.body.decoded, {
    requestId: parsed.body.requestId,
    source: 'bench',
    changeLog: false,
    targetOf: unclaimedTargets(new Map()),
  });
  return batch.tables.reduce((n, t) => n + t.rows.length, 0);
}

function floor(body: Buffer): number {
  const envelope = JSON.parse(body.toString('utf8')) as { records: { data: string }[] };
  let n = 0;
  for (const record of envelope.records) {
    const value = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8')) as unknown;
    if (value !== null) n++;
  }
  return n;
}

function timed(run: (body: Buffer) => number, deliveries: readonly Delivery[]): number {
  const started = process.hrtime.bigint();
  let records = 0;
  for (const d of deliveries) records += run(d.body);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return records / seconds;
}

export function benchDecode(deliveries: readonly Delivery[], rounds = 7): DecodeFigures {
  const records = deliveries.reduce((n, d) => n + d.records, 0);
  timed(ours, deliveries);
  timed(floor, deliveries);
  // Each round times both back to back; the medians (ratio per round, not a ratio of bests) keep
  // a quiet or noisy moment on the shared machine from favouring one side.
  const oursRates: number[] = [];
  const floorRates: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    oursRates.push(timed(ours, deliveries));
    floorRates.push(timed(floor, deliveries));
    ratios.push(oursRates[i]! / floorRates[i]!);
  }
  return { records, oursPerSecond: median(oursRates), floorPerSecond: median(floorRates), ratio: median(ratios) };
}
