import type { DeadLetter, TableWrite, WriteBatch } from '../../translate/write-batch.js';
import type { SinkError, SinkWriteResult, TableResult } from '../sink.js';

/** What a SQL sink writes for one delivery; the loop around them is the same on every database. */
export interface BatchWriter {
  /** Writes one table's rows and change log; pushes a dead letter onto `refused` for each row the database refused. */
  writeTable(table: TableWrite, requestId: string, refused: DeadLetter[]): Promise<TableResult>;
  writeDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  sinkError(error: unknown): SinkError;
}

/**
 * One delivery: every table at once, then the dead letters (the records translate refused and
 * the rows the database refused) in one go. A failure of any of it fails the whole write, as a
 * value: the delivery is answered 5xx and retried, and the writes are idempotent.
 */
export async function writeBatch(batch: WriteBatch, writer: BatchWriter): Promise<SinkWriteResult> {
  try {
    const refused: DeadLetter[] = [];
    const tables = await Promise.all(batch.tables.map((table) => writer.writeTable(table, batch.requestId, refused)));
    const letters = [...batch.deadLetters, ...refused];
    if (letters.length > 0) await writer.writeDeadLetters(letters);
    return { ok: true, tables };
  } catch (error) {
    return { ok: false, error: writer.sinkError(error) };
  }
}
