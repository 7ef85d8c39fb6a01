import { describe, expect, it } from 'vitest';
import { bulkRowError, classifyCrateDbError, CrateDbHttpError } from '../../../../src/sink/cratedb/classify-error.js';

// Each answer below was observed on a running CrateDB 6.4.3 (single node, this machine),
// status, code and message as it sent them (messages shortened where marked …).
describe('classifyCrateDbError: answers observed on CrateDB 6.4.3', () => {
  const http = (status: number, code: number | null, message: string) => new CrateDbHttpError(status, code, message);
  it.each([
    [
      'a cast that cannot be made fails the whole bulk request',
      http(400, 4000, 'SQLParseException[Cannot cast object element `x` with value `abc` to type `double precision`]'),
      'row',
    ],
    [
      'an object into a double sub-column',
      http(400, 4000, 'SQLParseException[Cannot cast object element `d` with value `{z=1.5}` to type `double precision_array`]'),
      'row',
    ],
    ['a syntax error', http(400, 4000, "ParsingException[line 1:1: mismatched input 'SELEC' expecting {<EOF>, 'SELECT', …}]"), 'fatal'],
    ['WHERE in ON CONFLICT', http(400, 4000, "ParsingException[line 1:91: mismatched input 'WHERE' expecting {<EOF>, ';'}]"), 'fatal'],
    ['assigning the primary key', http(400, 4003, 'ColumnValidationException[Validation failed for pk: Updating a primary key is not supported]'), 'fatal'],
    ['an unknown table', http(404, 4041, "RelationUnknown[Relation 'probe.nope' unknown]"), 'missing_table'],
    ['an unknown schema (also what a user without privileges on it sees)', http(404, 4045, "SchemaUnknownException[Schema 'probe' unknown]"), 'missing_table'],
    ['an unknown column', http(404, 4043, 'ColumnUnknownException[Column nope unknown]'), 'fatal'],
    ['a missing DML privilege', http(401, 4011, "MissingPrivilegeException[Missing 'DML' privilege for user 'ro']"), 'fatal'],
    ['a missing DDL privilege', http(401, 4011, "MissingPrivilegeException[Missing 'DDL' privilege for user 'ro']"), 'fatal'],
    ['an unknown user (plain text, not JSON)', http(401, null, 'trust authentication failed for user "nobody"'), 'fatal'],
    [
      'a write to a shard still recovering just after CREATE TABLE',
      http(404, 4040, 'IllegalIndexShardStateException[CurrentState[RECOVERING] operations only allowed when shard state is one of [POST_RECOVERY, STARTED]]'),
      'retryable',
    ],
    ['a statement too deep for the analyser (5,000 ORs)', http(500, 5000, 'StackOverflowError[null]'), 'retryable'],
  ])('%s → %s', (_what, error, expected) => {
    expect(classifyCrateDbError(error)).toBe(expected);
  });

  it.each([
    ['socket error', new Error('ECONNRESET')],
    ['circuit breaker (generic 5000)', http(500, 5000, 'CircuitBreakingException[[parent] Data too large]')],
    ['503 unavailable', http(503, 5030, 'unavailable')],
    ['429 too many requests', http(429, null, 'slow down')],
  ])('not observed here, documented: %s → retryable', (_what, error) => {
    expect(classifyCrateDbError(error)).toBe('retryable');
  });
});

describe('bulkRowError: per-row errors observed in bulk results on CrateDB 6.4.3', () => {
  it.each([
    [
      {
        code: 4000,
        message: 'SQLParseException[Document contains at least one immense term in field="6" (whose UTF8 encoding is longer than the max length 32766) …]',
      },
      400,
      'row',
    ],
    [
      { code: 4000, message: "SQLParseException[Column `data['race']` already exists with type `double precision`. Cannot add same column with type `text`]" },
      400,
      'row',
    ],
    [
      { code: 4000, message: "SQLParseException[Column `data['deep']` already exists with type `text`. Cannot add same column with type `object`]" },
      400,
      'row',
    ],
    [{ code: 4000, message: 'SQLParseException[Cannot detect the type of the value: 123456789012345678901234567890]' }, 400, 'row'],
    [{ code: 4008, message: 'InvalidColumnNameException["a.b" contains a dot]' }, 400, 'row'],
    [{ code: 5000, message: 'ClassCastException[class java.lang.String cannot be cast to class java.lang.Number …]' }, 500, 'row'],
    // A list into a sub-column null typed `undefined`.
    [{ code: 5000, message: 'NullPointerException[null]' }, 500, 'row'],
    [
      {
        code: 5000,
        message:
          'UncheckedIOException[com.fasterxml.jackson.core.JsonParseException: Invalid UTF-8: Illegal surrogate character 0xd800\n at [Source: REDACTED …]',
      },
      500,
      'row',
    ],
    [{ code: 4091, message: 'DuplicateKeyException[A document with the same primary key exists already]' }, 409, 'fatal'],
    [{ code: 4092, message: 'VersionConflictEngineException[[rt4]: version conflict, required seqNo [102], primary term [1]. …]' }, 409, 'fatal'],
    [{ code: 40411, message: 'DocumentMissingException[[missing]: document missing]' }, 404, 'fatal'],
  ])('%j → HTTP %i, %s', (error, status, kind) => {
    const e = bulkRowError(error);
    expect(e.status).toBe(status);
    expect(classifyCrateDbError(e)).toBe(kind);
  });

  it("a -2 without an error (before 5.10, or past the first 10 per shard) is the row's, to be retried alone", () => {
    expect(classifyCrateDbError(bulkRowError(undefined))).toBe('row');
  });

  it('a 5xxx row error other than a cast is trouble, not the row (documented, not observed here)', () => {
    expect(classifyCrateDbError(bulkRowError({ code: 5000, message: 'shard not available' }))).toBe('retryable');
  });
});
