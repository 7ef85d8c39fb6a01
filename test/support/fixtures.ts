import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A fresh, mutable copy of a fixture, so that each test can vary it. */
export function fixture<T = Record<string, any>>(name: string): T {
  return JSON.parse(readFileSync(`${root}${name}`, 'utf8')) as T;
}

export const seedRecords = () => ['seed-insert', 'seed-modify', 'seed-remove'].map((n) => fixture(`kinesis/${n}.json`));
