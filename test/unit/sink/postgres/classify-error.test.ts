import { describe, expect, it } from 'vitest';
import { classifyPostgresError, sqlState } from '../../../../src/sink/postgres/classify-error.js';

const pgError = (code: string) => Object.assign(new Error(`error ${code}`), { code });

describe('classifyPostgresError', () => {
  it.each([
    ['22P05', 'row'], // untranslatable character (U+0000 in jsonb)
    ['22021', 'row'], // invalid byte sequence
    ['23514', 'row'], // check violation
    ['23505', 'row'], // unique violation
    ['54000', 'row'], // program limit: index row too large
    ['40001', 'retryable'], // serialization failure
    ['40P01', 'retryable'], // deadlock
    ['55P03', 'retryable'], // lock not available
    ['57P01', 'retryable'], // admin shutdown
    ['57014', 'retryable'], // query canceled (statement timeout)
    ['08006', 'retryable'], // connection failure
    ['53300', 'retryable'], // too many connections
    ['58030', 'retryable'], // I/O error
    ['XX000', 'retryable'], // internal error
    ['42601', 'fatal'], // syntax error
    ['42P01', 'fatal'], // undefined table
    ['28P01', 'fatal'], // invalid password
    ['0A000', 'fatal'], // feature not supported
  ] as const)('SQLSTATE %s is %s', (code, expected) => {
    expect(classifyPostgresError(pgError(code))).toBe(expected);
  });

  it('calls an error without an SQLSTATE (a socket error, a dropped connection) retryable', () => {
    expect(classifyPostgresError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('retryable');
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly'))).toBe('retryable');
    expect(classifyPostgresError(undefined)).toBe('retryable');
    expect(classifyPostgresError('text')).toBe('retryable');
  });

  it('reads the SQLSTATE of anything that carries one', () => {
    expect(sqlState(pgError('42P01'))).toBe('42P01');
    expect(sqlState(new Error('no code'))).toBeUndefined();
    expect(sqlState(null)).toBeUndefined();
  });
});
