import { describe, expect, it } from 'vitest';
import { TableRegistry } from '../../../../src/sink/sql/table-registry.js';

const missing = Object.assign(new Error('relation does not exist'), { missing: true });
const race = Object.assign(new Error('already exists'), { race: true });
const registry = (before?: (key: string) => Promise<void>) =>
  new TableRegistry({ isMissing: (e) => e === missing, isCreateRace: (e) => e === race, ...(before ? { before } : {}) });

describe('TableRegistry', () => {
  it('creates each object once, for writes arriving together', async () => {
    const tables = registry();
    let created = 0;
    const create = async () => created++;
    await Promise.all([tables.ensure('state:t', create), tables.ensure('state:t', create)]);
    await tables.ensure('state:t', create);
    expect(created).toBe(1);
  });

  it('forgets a failed creation, so that the next delivery tries again; a lost race counts as done', async () => {
    const tables = registry();
    await expect(tables.ensure('state:t', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    let created = 0;
    await tables.ensure('state:t', async () => created++);
    expect(created).toBe(1);
    await expect(tables.ensure('state:u', () => Promise.reject(race))).resolves.toBeUndefined();
  });

  it('creates what must come first before anything else', async () => {
    const order: string[] = [];
    const tables = registry(async (key) => void order.push(`before ${key}`));
    await tables.ensure('state:t', async () => order.push('create'));
    expect(order).toEqual(['before state:t', 'create']);
  });

  it('creates a table dropped meanwhile again, once, and runs the statement again', async () => {
    const tables = registry();
    let created = 0;
    const create = async () => created++;
    await tables.ensure('state:t', create);
    let runs = 0;
    const run = async () => {
      if (runs++ === 0) throw missing;
      return 'written';
    };
    expect(await tables.recreateOnMissing('state:t', create, run)).toBe('written');
    expect([created, runs]).toEqual([2, 2]);
    await expect(tables.recreateOnMissing('state:t', create, () => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });
});
