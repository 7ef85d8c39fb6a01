import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { changeBounds } from '../decode/change-bounds.js';
import type { DecodedRecord } from '../decode/decode-record.js';
import { addTally, emptyTally } from '../outcome/outcomes.js';
import type { Sink } from '../sink/sink.js';
import type { TargetTables } from '../pipeline/target-tables.js';
import { applyByTable } from '../pipeline/apply-by-table.js';
import { parseLambdaEvent } from './lambda-event.js';

export interface LambdaDeps {
  readonly sink: Sink;
  readonly log: Logger;
  readonly targets: TargetTables;
  readonly changeLog: boolean;
  /** A change dated more than this past the clock is dead-lettered (FUTURE_CHANGE_MARGIN_SECONDS). */
  readonly futureChangeMarginSeconds: number;
}

/** The partial batch response of Kinesis and DynamoDB Streams event source mappings. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * A Lambda event that cannot be answered record by record: Lambda then retries the whole batch
 * (and, once its retries are spent, sends it to the mapping's on-failure destination).
 */
export class LambdaBatchError extends Error {
  constructor(
    readonly code: 'NOT_AN_EVENT' | 'NO_ITEM_IDENTIFIER',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LambdaBatchError';
  }
}

/**
 * Kinesis / DynamoDB Streams event → the same decode → translate → sink path as Firehose.
 * Answers `batchItemFailures` with exactly the records that were neither written nor
 * dead-lettered (the database could not take them: worth retrying). Poison records go to the
 * dead-letter table and are not reported, so they never block the shard.
 * Needs `ReportBatchItemFailures` on the event source mapping; Lambda retries from the lowest
 * reported sequence number, which rewrites some written records: harmless, writes are idempotent.
 */
export function createLambdaHandler(deps: LambdaDeps) {
  return async (event: unknown, context?: { awsRequestId?: string }): Promise<BatchResponse> => {
    const requestId = context?.awsRequestId ?? randomUUID();
    const parsed = parseLambdaEvent(event, changeBounds(Date.now(), deps.futureChangeMarginSeconds));
    if (!parsed.ok) throw new LambdaBatchError('NOT_AN_EVENT', parsed.error);
    const { entries } = parsed;
    const decoded = entries.map((e) => e.decoded).filter((d): d is DecodedRecord => d !== null);
    const outcomes = await applyByTable(decoded, { requestId, source: 'lambda', targets: deps.targets, changeLog: deps.changeLog }, deps.sink);

    const failed = new Set<number>();
    // Every record once: applied, stale, duplicate, dead-lettered, empty, or failed (reported for retry).
    const tally = { ...emptyTally(), empty: 0 };
    for (const outcome of outcomes) {
      if (outcome.result.ok) {
        addTally(tally, outcome.result.report);
        tally.empty += outcome.result.report.empty;
        for (const f of outcome.result.report.failures.slice(0, 10)) deps.log.warn({ requestId, ...f }, 'record dead-lettered');
        continue;
      }
      for (const index of outcome.indices) failed.add(index);
      deps.log.error(
        { requestId, table: outcome.table, records: outcome.indices.length, err: outcome.result.error },
        'records not written: reported for retry',
      );
    }

    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const entry of entries) {
      if (!failed.has(entry.index)) continue;
      if (entry.identifier === null) {
        // Lambda reads a missing identifier as "the whole batch failed"; say so plainly instead.
        throw new LambdaBatchError('NO_ITEM_IDENTIFIER', `Records[${entry.index}] failed and carries no sequence number: retrying the whole batch`);
      }
      batchItemFailures.push({ itemIdentifier: entry.identifier });
    }
    deps.log.info({ requestId, received: entries.length, ...tally, failed: batchItemFailures.length }, 'lambda batch applied');
    return { batchItemFailures };
  };
}
