import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../../../src/config/column-map.js';
import { columnsKey, loadRewriteState, newRewriteState, saveRewriteState } from '../../../src/rematerialize/rewrite-state.js';

const dir = mkdtempSync(join(tmpdir(), 'rewrite-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const columns: ColumnSpec[] = [{ name: 'seen_at', path: ['seen'], type: 'timestamp', from: 'epoch_millis' }];

describe('rematerialize state', () => {
  it('round-trips through the file, and is absent before the first run', async () => {
    const path = join(dir, 'nested', 't.json');
    expect(await loadRewriteState(path)).toEqual({ ok: true, state: null });
    const state = { ...newRewriteState('t', columns), cursor: 'abc', read: 5, written: 4 };
    await saveRewriteState(path, state);
    expect(await loadRewriteState(path)).toEqual({ ok: true, state });
  });

  it('tells a map change from the same map', () => {
    expect(columnsKey(columns)).toBe(columnsKey(structuredClone(columns)));
    expect(columnsKey(columns)).not.toBe(columnsKey([{ ...columns[0]!, from: 'epoch_seconds' }]));
  });

  it('explains a file it cannot use', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ format: 1, table: 't' }));
    expect(await loadRewriteState(path)).toMatchObject({ ok: false, error: expect.stringMatching(/bad\.json: not a rematerialize state file/) });
  });
});
