/**
 * The columns of a state table the sinks write themselves, in the order of the CrateDB upsert's
 * parameters (README, "The tables"). PostgreSQL's table has these but `aux` and `item` (its
 * `data` is the exact item), and `pk_hash`.
 */
export const STATE_COLUMNS = [
  'pk',
  'data',
  'aux',
  'item',
  'deleted',
  'version',
  'seq',
  'event_id',
  'event_name',
  'ttl_expired',
  'keys_only',
  'source_table',
  'changed_at',
  'written_at',
] as const;

/** Every column name a sink uses for itself in some database: COLUMN_MAP may not take them. */
export const OWN_COLUMNS: ReadonlySet<string> = new Set([...STATE_COLUMNS, 'pk_hash']);
