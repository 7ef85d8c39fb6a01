import { describe, expect, it } from 'vitest';
import { bulkRowError, CrateDbHttpError, classifyCrateDbError } from '../../../../src/sink/cratedb/classify-error.js';
import { classifyPostgresError } from '../../../../src/sink/postgres/classify-error.js';
import { answers, errorMessage, rowErrorTest, sinkErrorOf } from '../../../../src/sink/sql/sink-errors.js';

const pgError = (code: string) => Object.assign(new Error(`error ${code}`), { code });

describe('one retryability rule for every SQL sink', () => {
  it('a row refusal that escapes the write loop is permanent on PostgreSQL and CrateDB alike', () => {
    const postgres = sinkErrorOf('postgres', pgError('23514'), classifyPostgresError(pgError('23514')));
    const refused = bulkRowError({ code: 4000, message: 'SQLParseException[Cannot cast value]' });
    const cratedb = sinkErrorOf('cratedb', refused, classifyCrateDbError(refused));
    expect([postgres.retryable, cratedb.retryable]).toEqual([false, false]);
    expect([postgres.code, cratedb.code]).toEqual(['SINK_FAILED', 'SINK_FAILED']);
  });

  it('trouble is retryable on both, and a missing table or a wrong statement is not', () => {
    expect(sinkErrorOf('postgres', pgError('57P01'), classifyPostgresError(pgError('57P01'))).retryable).toBe(true);
    const unavailable = new CrateDbHttpError(503, 5030, 'unavailable');
    expect(sinkErrorOf('cratedb', unavailable, classifyCrateDbError(unavailable)).retryable).toBe(true);
    const missing = new CrateDbHttpError(404, 4041, 'RelationUnknown');
    expect(sinkErrorOf('cratedb', missing, classifyCrateDbError(missing)).retryable).toBe(false);
    expect(sinkErrorOf('postgres', pgError('42601'), classifyPostgresError(pgError('42601'))).retryable).toBe(false);
  });

  it('names the database and keeps the cause', () => {
    const cause = pgError('08006');
    const error = sinkErrorOf('pglite', cause, 'retryable');
    expect(error.message).toBe('pglite: error 08006');
    expect(error.cause).toBe(cause);
    expect(errorMessage('plain')).toBe('plain');
  });

  it('asks the classifier whether an error is a row’s, and whether the database answers', async () => {
    expect(rowErrorTest(classifyPostgresError)(pgError('22P05'))).toBe(true);
    expect(rowErrorTest(classifyPostgresError)(pgError('08006'))).toBe(false);
    expect(await answers(async () => 1)).toBe(true);
    expect(await answers(async () => Promise.reject(new Error('down')))).toBe(false);
  });
});
