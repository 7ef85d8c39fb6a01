import { parse } from 'lossless-json';
import { canonicalJson } from './canonical-json.js';
import { jsonText } from './cratedb-live.js';

/** One value `data` could not hold, kept exactly in CrateDB's `aux`. */
export interface Diversion {
  path: string[];
  /** Exact JSON text. */
  value: string;
  reason: string;
}

/** A state-table row, read the same way from every database. */
export interface StoredRow {
  pk: string;
  /** What `data` holds, as canonical JSON text (see canonicalJson): equal whatever database wrote it. */
  data: string;
  /** What `data` could not hold (CrateDB); PostgreSQL's `data` holds everything: always empty. */
  aux: Diversion[];
  /** The exact item JSON text (PostgreSQL: `data` itself). */
  item: string;
  deleted: boolean;
  version: string;
  /** The SequenceNumber as stored: PostgreSQL null, CrateDB '' for Kinesis records. */
  seq: string | null;
  event_id: string;
  event_name: string;
  ttl_expired: boolean;
  keys_only: boolean;
  source_table: string;
}

export interface DeadLetterRow {
  id: string;
  request_id: string;
  record_index: number;
  source: string;
  source_table: string | null;
  payload: string;
  error: string;
}

export interface DeadLetterFilter {
  requestId?: string;
  sourceTable?: string;
  source?: string;
  payload?: string;
  payloadIncludes?: string;
}

/** How a database's rows are read: its SQL flavour (the stand-in stores CrateDB rows in PostgreSQL). */
export type RowFlavour = 'postgres' | 'cratedb-stand-in' | 'cratedb';

type Query = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

const rowColumns: Record<RowFlavour, string> = {
  postgres: 'data::text AS item, version::text AS version, seq::text AS seq',
  'cratedb-stand-in': 'item, data::text AS data, aux::text AS aux, version::text AS version, seq',
  cratedb: 'item, data, aux, version, seq',
};
const commonColumns = 'pk, deleted, event_id, event_name, ttl_expired, keys_only, source_table';

export interface TableReads {
  /** Every row of a state table, by pk. */
  rows(table: string): Promise<StoredRow[]>;
  /** The row of one key (its pk text, or its key attributes as plain JSON values), if any. */
  row(table: string, key: string | Record<string, unknown>): Promise<StoredRow | undefined>;
  /** The pks of a table, sorted. */
  pks(table: string): Promise<string[]>;
  /** Dead letters matching every given field, by record index then error. */
  deadLetters(filter?: DeadLetterFilter): Promise<DeadLetterRow[]>;
  /** A key's change-log entries, by version. */
  changeLog(table: string, key: string | Record<string, unknown>): Promise<{ event_name: string; version: string }[]>;
  tableExists(table: string): Promise<boolean>;
  dropTable(table: string): Promise<void>;
  /** Creates a table of that name without the state table's columns: every write to it fails. */
  blockTable(table: string): Promise<void>;
}

/**
 * The reads every shared suite uses, one implementation per flavour. Only the column list differs:
 * the rest is SQL both dialects read alike (`$n` becomes `?` for CrateDB in cratedb-live.ts).
 */
export function tableReads(query: Query, flavour: RowFlavour, schema: string, deadLetterTable: string): TableReads {
  const pkText = (key: string | Record<string, unknown>) => (typeof key === 'string' ? key : JSON.stringify(key));
  const select = async (table: string, where = '', params: unknown[] = []) => {
    const rows = await query<Record<string, unknown>>(`SELECT ${commonColumns}, ${rowColumns[flavour]} FROM "${table}"${where}`, params);
    return rows.map((r) => toStoredRow(r, flavour)).sort((a, b) => byText(a.pk, b.pk));
  };
  return {
    rows: (table) => select(table),
    row: async (table, key) => (await select(table, ' WHERE pk = $1', [pkText(key)]))[0],
    pks: async (table) => (await query<{ pk: string }>(`SELECT pk FROM "${table}"`)).map((r) => r.pk).sort(byText),
    async deadLetters(filter = {}) {
      const letters = await query<Record<string, unknown>>(
        `SELECT id, request_id, record_index, source, source_table, payload, error FROM "${deadLetterTable}"`,
      );
      return letters
        .map((l) => ({ ...l, record_index: Number(l.record_index) }) as DeadLetterRow)
        .filter(
          (l) =>
            (filter.requestId === undefined || l.request_id === filter.requestId) &&
            (filter.sourceTable === undefined || l.source_table === filter.sourceTable) &&
            (filter.source === undefined || l.source === filter.source) &&
            (filter.payload === undefined || l.payload === filter.payload) &&
            (filter.payloadIncludes === undefined || l.payload.includes(filter.payloadIncludes)),
        )
        .sort((a, b) => a.record_index - b.record_index || byText(a.error, b.error));
    },
    async changeLog(table, key) {
      const log = await query<{ event_name: string; version: unknown }>(`SELECT event_name, version FROM "${table}_changes" WHERE pk = $1`, [pkText(key)]);
      return log.map((l) => ({ event_name: l.event_name, version: String(l.version) })).sort((a, b) => Number(BigInt(a.version) - BigInt(b.version)));
    },
    async tableExists(table) {
      const found = await query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, table]);
      return found.length > 0;
    },
    async dropTable(table) {
      await query(`DROP TABLE "${table}"`);
    },
    async blockTable(table) {
      // It lacks the target's columns, so every write to it fails; with `source_table` it passes
      // for a target table of earlier versions, so it is claimed, not avoided (README, The tables).
      await query(`CREATE TABLE "${table}" (x integer, source_table text)`);
    },
  };
}

function toStoredRow(r: Record<string, unknown>, flavour: RowFlavour): StoredRow {
  const item = String(r.item);
  const text = (v: unknown) => (typeof v === 'string' ? v : jsonText(v));
  const data = flavour === 'postgres' ? item : text(r.data);
  const aux = flavour === 'postgres' || r.aux === null ? [] : ((parse(text(r.aux)) as Diversion[] | null) ?? []);
  return {
    pk: String(r.pk),
    data: canonicalJson(data),
    aux,
    item,
    deleted: Boolean(r.deleted),
    version: String(r.version),
    seq: r.seq === null || r.seq === undefined ? null : String(r.seq),
    event_id: String(r.event_id),
    event_name: String(r.event_name),
    ttl_expired: Boolean(r.ttl_expired),
    keys_only: Boolean(r.keys_only),
    source_table: String(r.source_table),
  };
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
