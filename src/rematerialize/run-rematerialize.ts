import type { ColumnSpec } from '../config/column-map.js';
import { pause } from '../pipeline/retry-apply.js';
import { SinkError, type ColumnRewrite, type Sink, type StoredItem } from '../sink/sink.js';
import { typedColumns, type TypedColumns } from '../translate/typed-columns.js';
import { RematerializeError } from './rematerialize-error.js';
import { columnsKey, loadRewriteState, newRewriteState, saveRewriteState, type RewriteState } from './rewrite-state.js';

export interface RematerializeOptions {
  readonly sink: Pick<Sink, 'kind' | 'rewriteColumns'>;
  /** The target table. */
  readonly table: string;
  /** COLUMN_MAP's columns of the table. */
  readonly columns: readonly ColumnSpec[];
  readonly batchSize: number;
  /** The cursor file. */
  readonly statePath: string;
  /** Start a new run even when the state file holds an unfinished or finished one. */
  readonly restart?: boolean;
  /** Stops after the page in flight; its cursor is saved. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RematerializeProgress) => void;
  /** How often a page that failed retryably is tried again, and the first pause. */
  readonly sinkRetries?: number;
  readonly retryDelayMs?: number;
  readonly now?: () => number;
}

export interface RematerializeProgress {
  /** Rows read by this run, including before a resume. */
  readonly read: number;
  /** Rows read by this process. */
  readonly readNow: number;
  /** About how many rows the table held when this process started. */
  readonly estimatedRows: number;
  readonly elapsedMs: number;
  readonly complete: boolean;
}

export interface RematerializeTally {
  /** Rows whose columns this process wrote. */
  writtenNow: number;
  /** Rows the stream changed between read and write: read again and written from their new item. */
  changed: number;
  /** Rows changed again each time they were read: the stream's own writes hold their columns. */
  leftToStream: number;
  /** Rows whose stored item is not JSON text (not written by this service): left as they are. */
  skipped: number;
  /** Values that did not convert, or that the database cannot store exactly: NULL in their column. */
  unconverted: number;
  pages: number;
}

export interface RematerializeSummary extends RematerializeProgress, RematerializeTally {
  readonly table: string;
  /** Rows written by this run, including before a resume. */
  readonly written: number;
  readonly resumed: boolean;
}

export type RematerializeResult = { ok: true; summary: RematerializeSummary } | { ok: false; error: RematerializeError; summary: RematerializeSummary | null };

/** Rounds of reading again the rows the stream changed under a page, before leaving them to it. */
const MAX_ROUNDS = 3;

/**
 * Recomputes COLUMN_MAP's columns of every row of one table from its stored item, with the
 * function translate uses, page by page in key order; the cursor is saved after every page.
 * Each row is written compare-and-set (ColumnRewrite.write), so a row the stream changes
 * meanwhile keeps what the stream wrote; it is read again, and its columns recomputed from the
 * stream's item.
 */
export async function runRematerialize(options: RematerializeOptions): Promise<RematerializeResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const fail = (error: RematerializeError): RematerializeResult => ({ ok: false, error, summary: null });
  const { sink, table, columns } = options;
  if (columns.length === 0) return fail(new RematerializeError('NO_COLUMNS', `COLUMN_MAP maps no columns for table ${table}`));
  if (!sink.rewriteColumns) return fail(new RematerializeError('NOT_SUPPORTED', `the ${sink.kind} sink cannot rewrite typed columns`));
  const prepared = await prepareState(options);
  if (!prepared.ok) return fail(prepared.error);
  const { state, resumed } = prepared;

  let rewrite: ColumnRewrite | null;
  try {
    rewrite = await sink.rewriteColumns(table, columns);
  } catch (error) {
    return fail(sinkFailed(`preparing ${table}`, error));
  }
  if (rewrite === null) return fail(new RematerializeError('NO_TABLE', `the target schema has no table ${table} written by this service`));
  const save = async (): Promise<RematerializeError | null> => {
    try {
      await saveRewriteState(options.statePath, state);
      return null;
    } catch (error) {
      return new RematerializeError('STATE_WRITE_FAILED', `cannot write ${options.statePath}: ${(error as Error).message}`, { cause: error });
    }
  };
  const saveError = await save();
  if (saveError) return fail(saveError);

  const tally: RematerializeTally = { writtenNow: 0, changed: 0, leftToStream: 0, skipped: 0, unconverted: 0, pages: 0 };
  let readNow = 0;
  const estimatedRows = rewrite.estimatedRows;
  const progress = (): RematerializeProgress => ({ read: state.read, readNow, estimatedRows, elapsedMs: now() - started, complete: state.done });
  const summary = (): RematerializeSummary => ({ ...progress(), ...tally, table, written: state.written, resumed });

  while (!state.done && options.signal?.aborted !== true) {
    let page: PageResult;
    try {
      page = await retrying(() => rewritePage(rewrite, columns, state.cursor, options.batchSize), options);
    } catch (error) {
      return { ok: false, error: sinkFailed(`rows after ${state.cursor ?? 'the start'}`, error), summary: summary() };
    }
    readNow += page.read;
    state.read += page.read;
    state.written += page.written;
    state.cursor = page.next;
    state.done = page.next === null;
    tally.writtenNow += page.written;
    tally.changed += page.changed;
    tally.leftToStream += page.leftToStream;
    tally.skipped += page.skipped;
    tally.unconverted += page.unconverted;
    tally.pages++;
    const failed = await save();
    if (failed) return { ok: false, error: failed, summary: summary() };
    options.onProgress?.(progress());
  }
  return { ok: true, summary: summary() };
}

interface PageResult {
  readonly read: number;
  readonly written: number;
  readonly changed: number;
  readonly leftToStream: number;
  readonly skipped: number;
  readonly unconverted: number;
  readonly next: string | null;
}

/** One page: read, recompute, write compare-and-set; rows changed meanwhile read again, a few rounds. */
async function rewritePage(rewrite: ColumnRewrite, columns: readonly ColumnSpec[], after: string | null, limit: number): Promise<PageResult> {
  const page = await rewrite.page(after, limit);
  let pending: readonly StoredItem[] = page.rows;
  let written = 0;
  let changed = 0;
  let skipped = 0;
  let unconverted = 0;
  for (let round = 1; pending.length > 0; round++) {
    const rows = pending.flatMap((stored) => {
      const typed = recompute(columns, stored);
      if (typed === null) skipped++;
      return typed === null ? [] : [{ stored, columns: typed }];
    });
    const result = await rewrite.write(rows);
    const again: string[] = [];
    rows.forEach((row, i) => {
      if (!result.written[i]) return void again.push(row.stored.pk);
      written++;
      unconverted += row.columns.unconverted;
    });
    unconverted += result.unstorable;
    if (again.length === 0 || round === MAX_ROUNDS)
      return { read: page.rows.length, written, changed, leftToStream: again.length, skipped, unconverted, next: page.next };
    changed += again.length;
    pending = await rewrite.reread(again);
  }
  return { read: page.rows.length, written, changed, leftToStream: 0, skipped, unconverted, next: page.next };
}

/** The row's columns, as translate computes them from the item it writes; null when the item is not JSON. */
function recompute(columns: readonly ColumnSpec[], stored: StoredItem): TypedColumns | null {
  try {
    return typedColumns(columns, stored.item);
  } catch {
    return null;
  }
}

/** A page again after retryable trouble (the database unreachable or overloaded); it changes nothing twice. */
async function retrying<T>(run: () => Promise<T>, options: RematerializeOptions): Promise<T> {
  let delay = options.retryDelayMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const retryable = error instanceof SinkError && error.retryable;
      if (!retryable || attempt >= (options.sinkRetries ?? 5) || options.signal?.aborted) throw error;
      await pause(delay, options.signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

function sinkFailed(what: string, error: unknown): RematerializeError {
  return new RematerializeError('SINK_FAILED', `${what}: ${(error as Error).message}`, { cause: error });
}

async function prepareState(
  options: RematerializeOptions,
): Promise<{ ok: true; state: RewriteState; resumed: boolean } | { ok: false; error: RematerializeError }> {
  const fresh = () => newRewriteState(options.table, options.columns);
  if (options.restart) return { ok: true, state: fresh(), resumed: false };
  const loaded = await loadRewriteState(options.statePath);
  if (!loaded.ok) return { ok: false, error: new RematerializeError('STATE_INVALID', `${loaded.error} (remove it or pass --restart)`) };
  const { state } = loaded;
  if (state === null) return { ok: true, state: fresh(), resumed: false };
  if (state.table !== options.table) {
    return { ok: false, error: new RematerializeError('STATE_MISMATCH', `${options.statePath} belongs to table ${state.table}, not ${options.table}`) };
  }
  if (state.columns !== columnsKey(options.columns)) {
    // The rows behind the cursor hold the columns of another map: only a new run makes them all alike.
    return {
      ok: false,
      error: new RematerializeError(
        'STATE_MISMATCH',
        `${options.statePath} holds a run with other columns for ${options.table} (COLUMN_MAP changed): pass --restart`,
      ),
    };
  }
  return { ok: true, state, resumed: true };
}
