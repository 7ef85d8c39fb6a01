import { DecodeError } from '../../src/decode/decode-error.js';

/** Runs `fn` and returns the DecodeError it throws; fails the test if it returns or throws anything else. */
export function decodeErrorOf(fn: () => unknown): DecodeError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw new Error(`expected a DecodeError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a DecodeError, got a result: ${JSON.stringify(result)}`);
}
