import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { candidateNames, claimOrder, internalTables, parseTableMap, tableNaming, targetPlan, targetTableName } from '../../../src/translate/target-name.js';

const none = new Map<string, string>();

describe('targetTableName', () => {
  it.each([
    ['table-testdrive', 'table_testdrive'],
    ['TestTable', 'testtable'],
    ['Orders.v2-eu_1', 'orders_v2_eu_1'],
    ['already_fine_42', 'already_fine_42'],
  ])('by default writes %j to %j', (source, target) => {
    expect(targetTableName(source, none)).toBe(target);
  });

  it('prefers an exact mapping, then `*`', () => {
    const map = new Map([
      ['table-testdrive', 'drive'],
      ['*', 'everything'],
    ]);
    expect(targetTableName('table-testdrive', map)).toBe('drive');
    expect(targetTableName('other', map)).toBe('everything');
    expect(targetTableName('other', new Map([['table-testdrive', 'drive']]))).toBe('other');
  });

  it('keeps names of up to 54 characters', () => {
    const name = 'a'.repeat(54);
    expect(targetTableName(name, none)).toBe(name);
  });

  it('shortens longer names to 54 characters, keeping a hash of the full name', () => {
    const long = `Orders-${'x'.repeat(100)}`;
    const target = targetTableName(long, none);
    expect(target).toHaveLength(54);
    const hash = createHash('sha256').update(long).digest('hex').slice(0, 8);
    expect(target).toBe(`orders_${'x'.repeat(38)}_${hash}`);
    expect(target).toMatch(/^[a-z0-9_]+$/);
  });

  it('gives long names that share a prefix different targets, the same one each time', () => {
    const a = targetTableName(`${'p'.repeat(60)}-a`, none);
    const b = targetTableName(`${'p'.repeat(60)}-b`, none);
    expect(a).not.toBe(b);
    expect(targetTableName(`${'p'.repeat(60)}-a`, none)).toBe(a);
  });

  it('hashes the original name, so names differing only in case or punctuation do not collide when long', () => {
    const base = 'q'.repeat(60);
    expect(targetTableName(`${base}.A`, none)).not.toBe(targetTableName(`${base}-a`, none));
  });
});

describe('parseTableMap', () => {
  it('reads source=target pairs, with spaces and a `*` entry', () => {
    expect(parseTableMap(' table-testdrive = drive , *=rest,,')).toEqual(
      new Map([
        ['table-testdrive', 'drive'],
        ['*', 'rest'],
      ]),
    );
  });

  it('reads an empty text as no mappings', () => {
    expect(parseTableMap('')).toEqual(new Map());
    expect(parseTableMap(' , ')).toEqual(new Map());
  });

  it('names every malformed entry at once', () => {
    const bad = ['noequals', '=target', 'source=', 'a=b=c', 'x=Upper', 'y=1starts_with_digit', 'z=has-dash', `w=${'t'.repeat(55)}`];
    const text = ['good=fine', ...bad].join(',');
    expect(() => parseTableMap(text)).toThrow(`bad: ${bad.join(', ')}`);
  });

  it('accepts a target of 54 characters', () => {
    expect(parseTableMap(`s=${'t'.repeat(54)}`).get('s')).toBe('t'.repeat(54));
  });
});

describe('candidateNames', () => {
  const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

  it("offers today's name, then one suffixed with a hash of the exact source name", () => {
    expect(candidateNames('Customers')).toEqual(['customers', `customers_${hash('Customers')}`]);
    expect(candidateNames('customers')).toEqual(['customers', `customers_${hash('customers')}`]);
    expect(candidateNames('or-ders')[1]).not.toBe(candidateNames('or_ders')[1]);
  });

  it('offers a long name only hashed, as before: its hash already tells it apart', () => {
    const long = `Orders-${'x'.repeat(100)}`;
    expect(candidateNames(long)).toEqual([targetTableName(long, none)]);
  });

  it('keeps every candidate within 54 characters of [a-z0-9_]', () => {
    for (const source of ['a'.repeat(54), 'A'.repeat(54), `${'b'.repeat(53)}-`, 'x.y-z']) {
      for (const name of candidateNames(source)) expect(name).toMatch(/^[a-z0-9_]{1,54}$/);
    }
  });
});

describe('targetPlan', () => {
  const naming = tableNaming(new Map([['Orders', 'shop']]), 'cdc_dead_letters');

  it('leaves out candidates that are internal tables, TABLE_MAP targets or their change logs, saying why', () => {
    const plan = targetPlan('cdc-dead-letters', naming);
    expect(plan).toEqual({
      mapped: false,
      candidates: [candidateNames('cdc-dead-letters')[1]],
      skipped: ['cdc_dead_letters is an internal table (dead letters)'],
    });
    expect(targetPlan('shop', naming)).toMatchObject({ skipped: ['shop is given by TABLE_MAP to "Orders"'] });
    expect(targetPlan('shop-changes', naming)).toMatchObject({ skipped: ['shop_changes is given by TABLE_MAP to "Orders"'] });
    expect(targetPlan('cdc_table_owners', naming)).toMatchObject({ skipped: ['cdc_table_owners is an internal table (table owners)'] });
  });

  it('sends a mapped table where TABLE_MAP says, without claims', () => {
    expect(targetPlan('Orders', naming)).toEqual({ mapped: true, table: 'shop' });
  });
});

describe('claimOrder', () => {
  it('lets a name that is its own target name claim first, then goes by code units', () => {
    expect(['Customers', 'or-ders', 'customers', 'CUSTOMERS', 'or_ders'].sort(claimOrder)).toEqual([
      'customers',
      'or_ders',
      'CUSTOMERS',
      'Customers',
      'or-ders',
    ]);
  });
});

describe("the stream consumers' tables are internal too", () => {
  it('never gives a DynamoDB table the name of the checkpoint or lease table', () => {
    const internal = internalTables('cdc_dead_letters');
    expect([...internal.keys()]).toEqual(expect.arrayContaining(['cdc_shard_checkpoints', 'cdc_stream_leases']));
  });
});
