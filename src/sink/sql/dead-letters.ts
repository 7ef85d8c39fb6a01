import { createHash } from 'node:crypto';
import type { ChangeLogRow, DeadLetter, RowWrite } from '../../translate/write-batch.js';

/** The same poison record delivered again (Firehose retries) gets the same id, so it is stored once. */
export function deadLetterId(letter: DeadLetter): string {
  return createHash('sha256').update(letter.source).update('\u0000').update(letter.payload).digest('hex');
}

/** A dead letter for a row the database refused, carrying the row as its payload. */
export function rowDeadLetter(requestId: string, row: RowWrite | ChangeLogRow, payload: string, error: string): DeadLetter {
  return { requestId, recordIndex: row.recordIndex, source: 'sink', sourceTable: row.sourceTable, payload, error };
}
