import { describe, expect, it } from 'vitest';
import { bulkRowError, classifyCrateDbError, CrateDbHttpError } from '../../../../src/sink/cratedb/classify-error.js';

describe('classifyCrateDbError', () => {
  const http = (status: number, code: number | null, message = 'x') => new CrateDbHttpError(status, code, message);
  it.each([
    ['socket error', new Error('ECONNRESET'), 'retryable'],
    ['circuit breaker (generic 5000)', http(500, 5000, 'CircuitBreakingException[[parent] Data too large]'), 'retryable'],
    ['503 unavailable', http(503, 5030), 'retryable'],
    ['429 too many requests', http(429, null), 'retryable'],
    ['plain-text 401', http(401, null, 'trust authentication failed'), 'fatal'],
    ['403 missing privilege', http(403, 4031), 'fatal'],
    ['unknown table', http(404, 4041, 'RelationUnknown[Relation doc.t unknown]'), 'missing_table'],
    ['unknown schema', http(404, 4045, 'SchemaUnknownException[Schema x unknown]'), 'missing_table'],
    ['unknown column', http(404, 4043, 'ColumnUnknownException'), 'fatal'],
    ['cast error in bulk', http(400, 4000, 'ClassCastException[Cannot cast value]'), 'row'],
    ['invalid column name', http(400, 4008, 'InvalidColumnNameException'), 'row'],
    ['our SQL is wrong', http(400, 4000, 'SQLParseException[line 1:1: mismatched input]'), 'fatal'],
  ])('%s → %s', (_what, error, expected) => {
    expect(classifyCrateDbError(error)).toBe(expected);
  });
});

describe('bulkRowError', () => {
  it.each([
    [{ code: 4000, message: 'Cannot cast' }, 400, 'row'],
    [{ code: 4008, message: 'illegal character' }, 400, 'row'],
    [{ code: 40411, message: 'document missing' }, 404, 'fatal'],
    [{ code: 5000, message: 'shard not available' }, 500, 'retryable'],
    [undefined, 400, 'row'],
  ])('%j → HTTP %i, %s', (error, status, kind) => {
    const e = bulkRowError(error);
    expect(e.status).toBe(status);
    expect(classifyCrateDbError(e)).toBe(kind);
  });
});
