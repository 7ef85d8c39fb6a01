import { DescribeTableCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeScannedRecord } from '../decode/decode-record.js';
import type { ScanMeta } from '../decode/scanned-item.js';
import { addTally, emptyTally, type OutcomeTally } from '../outcome/outcomes.js';
import { applyRecords } from '../pipeline/apply-records.js';
import { retryApply } from '../pipeline/retry-apply.js';
import type { Sink } from '../sink/sink.js';
import type { TargetTables } from '../pipeline/target-tables.js';
import { BackfillError } from './backfill-error.js';
import { backfillVersion } from './backfill-version.js';
import { loadScanState, newScanState, stateSaver, type ScanState } from './scan-state.js';
import { fromWireItem, toWireItem } from './wire-item.js';

export interface BackfillOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly segments: number;
  /** Scan `Limit`: items per page (DynamoDB also stops a page at 1 MB). */
  readonly pageSize?: number;
  /** The cursor file. */
  readonly statePath: string;
  /** Start a new run even when the state file holds an unfinished or finished one. */
  readonly restart?: boolean;
  readonly sink: Sink;
  readonly targets: TargetTables;
  readonly changeLog: boolean;
  /** Stops after the pages in flight; their cursors are saved. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackfillProgress) => void;
  /** How often a page whose write failed retryably is tried again, and the first pause. */
  readonly sinkRetries?: number;
  readonly retryDelayMs?: number;
  readonly now?: () => number;
}

export interface BackfillProgress {
  /** Items scanned by this run, including before a resume. */
  readonly scanned: number;
  /** Items scanned by this process. */
  readonly scannedNow: number;
  /** DescribeTable's ItemCount: approximate, refreshed by DynamoDB about every six hours. */
  readonly estimatedItems: number;
  readonly elapsedMs: number;
  readonly segmentsDone: number;
  readonly totalSegments: number;
}

export interface BackfillTally extends OutcomeTally {
  pages: number;
}

export interface BackfillSummary extends BackfillProgress, BackfillTally {
  readonly table: string;
  readonly version: number;
  readonly resumed: boolean;
  /** Every segment scanned to its end. */
  readonly complete: boolean;
}

export type BackfillResult = { ok: true; summary: BackfillSummary } | { ok: false; error: BackfillError; summary: BackfillSummary | null };

/**
 * A parallel Scan of one table written through the same decode → translate → sink path as the
 * stream, each item at the run's backfill version (lower than every stream change). Each segment
 * saves its cursor after every page it has written.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const described = await describeTable(options);
  if (!described.ok) return { ok: false, error: described.error, summary: null };

  const prepared = await prepareState(options, started);
  if (!prepared.ok) return { ok: false, error: prepared.error, summary: null };
  const { state, resumed } = prepared;
  const saver = stateSaver(options.statePath, state);
  try {
    await saver.save();
  } catch (error) {
    return {
      ok: false,
      error: new BackfillError('STATE_WRITE_FAILED', `cannot write ${options.statePath}: ${(error as Error).message}`, { cause: error }),
      summary: null,
    };
  }

  const version = backfillVersion(state.runStartMicros);
  const meta: ScanMeta = { table: options.table, keyNames: described.keyNames, version, runId: `backfill:${state.runStartMicros}` };
  const tally: BackfillTally = { ...emptyTally(), pages: 0 };
  let scannedNow = 0;
  const progress = (): BackfillProgress => ({
    scanned: state.segments.reduce((sum, s) => sum + s.scanned, 0),
    scannedNow,
    estimatedItems: described.itemCount,
    elapsedMs: now() - started,
    segmentsDone: state.segments.filter((s) => s.done).length,
    totalSegments: state.totalSegments,
  });

  // The first failure stops the other segments after their current page.
  const stop = new AbortController();
  const stopped = () => stop.signal.aborted || options.signal?.aborted === true;
  let failure: BackfillError | undefined;

  const worker = async (segment: number): Promise<void> => {
    const at = state.segments[segment]!;
    while (!at.done && !stopped()) {
      let page;
      try {
        page = await options.client.send(
          new ScanCommand({
            TableName: options.table,
            Segment: segment,
            TotalSegments: state.totalSegments,
            ExclusiveStartKey: at.cursor ? fromWireItem(at.cursor) : undefined,
            Limit: options.pageSize,
          }),
          { abortSignal: stop.signal },
        );
      } catch (error) {
        if (stop.signal.aborted) return;
        throw new BackfillError('SCAN_FAILED', `segment ${segment}: Scan failed: ${(error as Error).message}`, { cause: error });
      }
      const items = page.Items ?? [];
      const decoded = items.map((item, i) => decodeScannedRecord(toWireItem(item), i, meta));
      const translate = { requestId: `${meta.runId}:${segment}:${at.scanned}`, source: 'backfill', targets: options.targets, changeLog: options.changeLog };
      const written = await retryApply(() => applyRecords(decoded, decoded.length, translate, options.sink), {
        retries: options.sinkRetries ?? 5,
        delayMs: options.retryDelayMs ?? 500,
        signal: options.signal,
      });
      if (!written.ok) {
        throw new BackfillError('SINK_FAILED', `segment ${segment}: writing ${items.length} items failed: ${written.error.message}`, { cause: written.error });
      }
      addTally(tally, written.report);
      tally.pages++;
      scannedNow += items.length;
      at.scanned += items.length;
      at.cursor = page.LastEvaluatedKey ? toWireItem(page.LastEvaluatedKey) : null;
      at.done = page.LastEvaluatedKey === undefined;
      try {
        await saver.save();
      } catch (error) {
        throw new BackfillError('STATE_WRITE_FAILED', `cannot write ${options.statePath}: ${(error as Error).message}`, { cause: error });
      }
      options.onProgress?.(progress());
    }
  };

  await Promise.all(
    state.segments.map((_, segment) =>
      worker(segment).catch((error: unknown) => {
        failure ??= error instanceof BackfillError ? error : new BackfillError('SCAN_FAILED', String(error), { cause: error });
        stop.abort();
      }),
    ),
  );
  const p = progress();
  const summary: BackfillSummary = { ...p, ...tally, table: options.table, version, resumed, complete: p.segmentsDone === p.totalSegments };
  return failure ? { ok: false, error: failure, summary } : { ok: true, summary };
}

async function describeTable(options: BackfillOptions) {
  try {
    const { Table } = await options.client.send(new DescribeTableCommand({ TableName: options.table }));
    const schema = Table?.KeySchema ?? [];
    const keyNames = ['HASH', 'RANGE'].flatMap((type) => schema.filter((k) => k.KeyType === type && k.AttributeName).map((k) => k.AttributeName!));
    if (keyNames.length === 0) throw new Error('DescribeTable returned no KeySchema');
    return { ok: true as const, keyNames, itemCount: Table?.ItemCount ?? 0 };
  } catch (error) {
    return { ok: false as const, error: new BackfillError('DESCRIBE_FAILED', `table ${options.table}: ${(error as Error).message}`, { cause: error }) };
  }
}

async function prepareState(
  options: BackfillOptions,
  startedMs: number,
): Promise<{ ok: true; state: ScanState; resumed: boolean } | { ok: false; error: BackfillError }> {
  const fresh = () => newScanState(options.table, options.segments, Math.round(startedMs * 1000));
  if (options.restart) return { ok: true, state: fresh(), resumed: false };
  const loaded = await loadScanState(options.statePath);
  if (!loaded.ok) return { ok: false, error: new BackfillError('STATE_INVALID', `${loaded.error} (remove it or pass --restart)`) };
  const { state } = loaded;
  if (state === null) return { ok: true, state: fresh(), resumed: false };
  if (state.table !== options.table) {
    return { ok: false, error: new BackfillError('STATE_MISMATCH', `${options.statePath} belongs to table ${state.table}, not ${options.table}`) };
  }
  if (state.totalSegments !== options.segments) {
    // Segments of a different split cover different items: a cursor of one is meaningless in another.
    return {
      ok: false,
      error: new BackfillError(
        'STATE_MISMATCH',
        `${options.statePath} holds a run with ${state.totalSegments} segments: resume with --segments ${state.totalSegments}, or pass --restart`,
      ),
    };
  }
  return { ok: true, state, resumed: true };
}
