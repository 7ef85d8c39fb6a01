import { z } from 'zod';
import type { ColumnSpec } from '../config/column-map.js';
import { readStateFile, writeStateFile, type StateFileResult } from '../cli/state-file.js';

/**
 * What a rematerialize run persists after every page it has written: where it stands in the
 * table's key order, and the columns it computes. A run interrupted at any moment resumes from
 * here; the page in flight when it stopped is read and written again, which changes nothing.
 */
const stateSchema = z.object({
  format: z.literal(1),
  table: z.string().min(1),
  /** COLUMN_MAP's columns of the table as the run computes them: rows behind the cursor hold these. */
  columns: z.string(),
  /** Where the next page starts, in the sink's terms; null: from the first row. */
  cursor: z.string().nullable(),
  done: z.boolean(),
  read: z.number().int().min(0),
  written: z.number().int().min(0),
});

export type RewriteState = z.infer<typeof stateSchema>;

export function newRewriteState(table: string, columns: readonly ColumnSpec[]): RewriteState {
  return { format: 1, table, columns: columnsKey(columns), cursor: null, done: false, read: 0, written: 0 };
}

/** The columns as the state file records them: a map change between runs is noticed. */
export function columnsKey(columns: readonly ColumnSpec[]): string {
  return JSON.stringify(columns.map((c) => [c.name, c.path, c.type, c.from]));
}

export function loadRewriteState(path: string): Promise<StateFileResult<RewriteState>> {
  return readStateFile(path, stateSchema, 'rematerialize state file');
}

export function saveRewriteState(path: string, state: RewriteState): Promise<void> {
  return writeStateFile(path, state);
}
