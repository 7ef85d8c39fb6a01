import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScanState, newScanState, saveScanState, stateSaver } from '../../../src/backfill/scan-state.js';

const dir = mkdtempSync(join(tmpdir(), 'scan-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scan state', () => {
  it('is absent before the first run', async () => {
    expect(await loadScanState(join(dir, 'none.json'))).toEqual({ ok: true, state: null });
  });

  it('round-trips through the file, in a folder created on demand', async () => {
    const path = join(dir, 'nested', 'orders.json');
    const state = newScanState('orders', 3, 1_720_740_233_012_995);
    state.segments[1] = { cursor: { id: { B: 'AAE=' } }, done: false, scanned: 25 };
    await saveScanState(path, state);
    expect(await loadScanState(path)).toEqual({ ok: true, state });
    expect(readdirSync(join(dir, 'nested')), 'no temporary file left behind').toEqual(['orders.json']);
  });

  it('explains a file it cannot use', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"format":1,');
    expect(await loadScanState(path)).toMatchObject({ ok: false, error: expect.stringMatching(/bad\.json: not valid JSON/) });
    writeFileSync(path, JSON.stringify({ format: 2 }));
    expect(await loadScanState(path)).toMatchObject({ ok: false, error: expect.stringMatching(/bad\.json: not a backfill state file/) });
    writeFileSync(path, JSON.stringify({ ...newScanState('t', 3, 1), totalSegments: 4 }));
    expect(await loadScanState(path)).toEqual({ ok: false, error: `${path}: holds 3 segments, expected 4` });
  });

  it('ends with the newest state when saves overlap', async () => {
    const path = join(dir, 'race.json');
    const state = newScanState('t', 1, 1);
    const saver = stateSaver(path, state);
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) {
      state.segments[0]!.scanned = i;
      saves.push(saver.save());
    }
    await Promise.all(saves);
    expect(JSON.parse(readFileSync(path, 'utf8')).segments[0].scanned).toBe(20);
  });
});
