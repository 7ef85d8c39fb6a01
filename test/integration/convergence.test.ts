import { parse as parseLossless } from 'lossless-json';
import { expect, it } from 'vitest';
import { expectedPk, mapMismatch } from '../support/dynamo-model.js';
import { assertConverges } from '../support/convergence-deliveries.js';
import { reassemble } from '../support/reassemble.js';
import { describeTargets, sinkTargets, type SinkTarget } from '../support/sinks.js';

// The acceptance bar is 200 histories per database per run; PROPERTY_RUNS raises it for soak runs.
const RUNS = Math.max(200, Number(process.env.PROPERTY_RUNS ?? 0));
// About 50 ms a history into PGlite on this 2-core machine (250 allowed), each target in its
// proportion; soak runs get time in proportion too.
const timeoutFor = (target: SinkTarget) => Math.max(60_000, RUNS * 250) * target.timeScale;

// The live CrateDB target runs only where CRATEDB_URL is set (npm run test:cratedb).
describeTargets('convergence into', sinkTargets, {}, (h, target) => {
  it(
    `every target table equals the final DynamoDB state, over ${RUNS} random histories`,
    async () => {
      await assertConverges(h, RUNS, 'r', async ({ name, table, finalState, touched }) => {
        const rows = await h.rows(name);
        expect(rows.length, `${name}: one row per key ever written`).toBe(touched.size);
        const byPk = new Map(rows.map((r) => [r.pk, r]));
        for (const pk of touched) {
          const row = byPk.get(pk);
          expect(row, `${name}: row ${pk}`).toBeDefined();
          const item = finalState.get(pk);
          if (item === undefined) {
            expect(row!.deleted, `${name} ${pk} is deleted in DynamoDB`).toBe(true);
          } else {
            expect(row!.deleted, `${name} ${pk} is live in DynamoDB`).toBe(false);
            expect(expectedPk(Object.fromEntries(table.keys.map((k) => [k.name, item[k.name]!]))), 'pk contract').toBe(pk);
            expect(mapMismatch(item, parseLossless(row!.item)), `${name} ${pk}`).toBeNull();
            // What `data` holds plus what `aux` kept aside (CrateDB) is the whole item.
            expect(mapMismatch(item, reassemble(row!.data, row!.aux)), `${name} ${pk} data+aux`).toBeNull();
          }
        }
        await h.dropTable(name);
      });
    },
    timeoutFor(target),
  );
});
