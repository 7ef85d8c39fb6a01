import type { ColumnSpec } from '../../config/column-map.js';
import type { RowWrite } from '../../translate/write-batch.js';
import { jsonbRefusal } from './predicted-refusals.js';
import { colsJson, type RowInput } from './statements.js';

/**
 * A table write's rows as the upsert's one text parameter. Usually as lines (`rowLines`), which
 * PostgreSQL splits with string_to_array and split_part: each field as it stands, so that nothing
 * is escaped on the way (the key, JSON text itself, was escaped once more for the JSON array,
 * quote by quote) and the server parses no JSON but each item's. A row whose text holds a tab or
 * a newline travels, with the rows of its statement, as the JSON array jsonb_to_recordset reads
 * (`rowsJson`), which is also what the row-by-row function and a dead letter's payload take.
 * Both give the upsert the same rows (a property test holds them together).
 */

/** A row's fields in `RowInput` 'lines': pk, deleted, version, seq, event_id, event_name, ttl, keys_only, source_table, [cols], data. */
export function rowLine(r: RowWrite, columns: readonly ColumnSpec[]): string {
  const head = `${r.pk}\t${r.deleted ? 't' : 'f'}\t${r.version}\t${r.sequence ?? ''}\t${r.eventId}\t${r.eventName}\t${r.ttl ? 't' : 'f'}\t${r.keysOnly ? 't' : 'f'}\t${r.sourceTable}`;
  if (columns.length === 0) return `${head}\t${r.data}`;
  return `${head}\t${r.columns ? colsJson(columns, r.columns.values) : ''}\t${r.data}`;
}

/** The rows at `places` in `rows`, as one parameter of `input`. */
export function rowsParameter(input: RowInput, rows: readonly RowWrite[], places: readonly number[], columns: readonly ColumnSpec[]): string {
  const texts = new Array<string>(places.length);
  if (input === 'lines') {
    for (let i = 0; i < places.length; i++) texts[i] = rowLine(rows[places[i]!]!, columns);
    return texts.join('\n');
  }
  for (let i = 0; i < places.length; i++) texts[i] = rowJson(rows[places[i]!]!, columns);
  return `[${texts.join(',')}]`;
}

// Rows are serialized by hand: `data` is already JSON text with exact numbers, and must not be
// parsed into JS numbers on the way.
export function rowJson(r: RowWrite, columns: readonly ColumnSpec[] = []): string {
  return (
    `{"pk":${JSON.stringify(r.pk)},"data":${r.data},"deleted":${r.deleted},"version":${r.version},` +
    `"seq":${r.sequence === null ? 'null' : `"${r.sequence}"`},"event_id":${JSON.stringify(r.eventId)},` +
    `"event_name":${JSON.stringify(r.eventName)},"ttl":${r.ttl},"keys_only":${r.keysOnly},` +
    `"source_table":${JSON.stringify(r.sourceTable)}` +
    (r.columns && columns.length > 0 ? `,"cols":${colsJson(columns, r.columns.values)}}` : '}')
  );
}

/** What a row needs before it is written: why PostgreSQL will refuse it (or null), and whether a line can hold it. */
export interface RowCheck {
  readonly refusal: string | null;
  readonly fitsLine: boolean;
}

const USUAL: RowCheck = Object.freeze({ refusal: null, fitsLine: true });

// Text taken as it stands (pk, event id and name, table, seq) that a line cannot hold (tab,
// newline) or PostgreSQL may refuse (U+0000, a surrogate, which JSON.stringify escapes when lone).
const UNUSUAL_TEXT = /[\u0000\t\n\ud800-\udfff]/;
// JSON text (data, cols): an escape (\u0000 is one), JSON's whitespace, a surrogate.
const UNUSUAL_JSON = /[\\\t\n\ud800-\udfff]/;
const LINE_BREAKING = /[\t\n]/;

/**
 * jsonbRefusal of the row's JSON, without writing that JSON for a row whose text holds nothing
 * it could refuse (nearly every row), and whether the row fits a line.
 */
export function checkRow(r: RowWrite, columns: readonly ColumnSpec[]): RowCheck {
  const cols = r.columns && columns.length > 0 ? colsJson(columns, r.columns.values) : '';
  if (
    !UNUSUAL_TEXT.test(r.pk) &&
    !UNUSUAL_TEXT.test(r.eventId) &&
    !UNUSUAL_TEXT.test(r.eventName) &&
    !UNUSUAL_TEXT.test(r.sourceTable) &&
    (r.sequence === null || !UNUSUAL_TEXT.test(r.sequence)) &&
    !UNUSUAL_JSON.test(r.data) &&
    !UNUSUAL_JSON.test(cols)
  ) {
    return USUAL;
  }
  const refusal = jsonbRefusal(rowJson(r, columns));
  const fitsLine = ![r.pk, r.eventId, r.eventName, r.sourceTable, r.sequence ?? '', r.data, cols].some((text) => LINE_BREAKING.test(text));
  return { refusal, fitsLine };
}

/** About the bytes a row adds to a statement, to bound its size (SINK_MAX_BYTES_PER_STATEMENT). */
export function rowSize(r: RowWrite): number {
  return r.pk.length + r.data.length + r.eventId.length + r.sourceTable.length + ROW_OVERHEAD_BYTES;
}

export const ROW_OVERHEAD_BYTES = 256;
