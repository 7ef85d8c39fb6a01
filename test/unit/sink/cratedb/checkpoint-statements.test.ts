import { sqlparse } from '@cratedb/cratedb-sqlparse';
import { describe, expect, it } from 'vitest';
import { checkpointStatements } from '../../../../src/sink/cratedb/checkpoint-store.js';

// The CrateDB checkpoint store's statements must parse with CrateDB's own grammar (the stand-in
// cannot run them; a live CrateDB runs them in test/integration/checkpoint-store.test.ts).
describe('CrateDB checkpoint store statements', () => {
  for (const schema of ['doc', 'my schema', 'Mixed"Quote']) {
    for (const [what, stmt] of Object.entries(checkpointStatements(schema))) {
      it(`${what} parses in ${JSON.stringify(schema)}`, () => {
        expect(() => sqlparse(stmt, true)).not.toThrow();
      });
    }
  }

  it('guards every assignment of the lease, so a live lease of another owner is left as it is', () => {
    const { acquire } = checkpointStatements('doc');
    const sets = acquire.slice(acquire.indexOf('DO UPDATE SET') + 'DO UPDATE SET'.length).split(/,\n/);
    expect(sets).toHaveLength(3);
    for (const s of sets) expect(s).toMatch(/CASE WHEN .*"expires_at" < \?/);
    expect(sets.some((s) => /^\s*"stream"\s*=/.test(s))).toBe(false);
  });
});
