import { describe, expect, it } from 'vitest';
import { checkpointStatements } from '../../../../src/sink/cratedb/checkpoint-store.js';

describe('CrateDB checkpoint store statements', () => {
  it('guards every assignment of the lease, so a live lease of another owner is left as it is', () => {
    const { acquire } = checkpointStatements('doc');
    const sets = acquire.slice(acquire.indexOf('DO UPDATE SET') + 'DO UPDATE SET'.length).split(/,\n/);
    expect(sets).toHaveLength(3);
    for (const s of sets) expect(s).toMatch(/CASE WHEN .*"expires_at" < \?/);
    expect(sets.some((s) => /^\s*"stream"\s*=/.test(s))).toBe(false);
  });
});
