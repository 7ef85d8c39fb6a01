import { describe, expect, it } from 'vitest';
import { publicMessage, statusFor } from '../../../src/http/error-response.js';
import { badRequest, bodyTooLarge, deadlineExceeded, overloaded, shuttingDown, unauthorized } from '../../../src/http/http-errors.js';
import { SinkError } from '../../../src/sink/sink.js';

describe('statusFor and publicMessage', () => {
  it('maps every code to its status, on both endpoints', () => {
    const cases = [
      [unauthorized('wrong key'), 401, 401],
      [badRequest('not JSON'), 400, 400],
      [bodyTooLarge('too big'), 400, 413], // Firehose drops a batch answered 413
      [deadlineExceeded(100), 503, 503],
      [overloaded(2), 503, 503],
      [shuttingDown(), 503, 503],
      [new SinkError('down', true), 503, 503],
      [new SinkError('refused', false), 500, 500],
    ] as const;
    for (const [error, firehose, records] of cases) {
      expect([error.code, statusFor(error, 'firehose'), statusFor(error, 'records')]).toEqual([error.code, firehose, records]);
      expect(publicMessage(error)).toBe(error.message);
    }
  });

  it('answers 500 with a generic message for anything unexpected', () => {
    const error = new Error('secret detail at /srv/app');
    expect(statusFor(error, 'firehose')).toBe(500);
    expect(publicMessage(error)).toBe('internal error');
    expect(publicMessage('a string')).toBe('internal error');
  });
});
