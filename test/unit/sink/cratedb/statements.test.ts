import { describe, expect, it } from 'vitest';
import * as sql from '../../../../src/sink/cratedb/statements.js';

describe('CrateDB statements', () => {
  it('never assigns the primary key and guards every assignment with the version gate', () => {
    const upsert = sql.upsertRows('doc', 't');
    const sets = upsert.slice(upsert.indexOf('DO UPDATE SET') + 'DO UPDATE SET'.length).split(/,\n/);
    expect(sets).toHaveLength(sql.upsertColumns.length - 1);
    expect(sets.some((s) => /^\s*"pk"\s*=/.test(s))).toBe(false);
    for (const s of sets) expect(s).toContain('CASE WHEN (excluded."version" > "version"');
  });

  it('looks keys up as literals, quotes doubled, so that the lookup is real-time', () => {
    expect(sql.selectGateKeys('doc', 't', [`{"k":"it's"}`, '{"k":"b"}'])).toContain(`WHERE "pk" = ANY(['{"k":"it''s"}', '{"k":"b"}'])`);
  });

  it('the rewrite replaces the same change, the normal upsert only a newer one', () => {
    expect(sql.upsertRows('doc', 't')).toContain('excluded."event_id" > "event_id"');
    expect(sql.upsertRows('doc', 't', true)).toContain('excluded."event_id" >= "event_id"');
  });

  it('binds one parameter per column', () => {
    expect(sql.upsertRows('doc', 't').match(/\?/g)).toHaveLength(sql.upsertColumns.length);
    expect(sql.insertChangeLog('doc', 't').match(/\?/g)).toHaveLength(sql.changeLogColumns.length);
    expect(sql.insertDeadLetters('doc', 't').match(/\?/g)).toHaveLength(sql.deadLetterColumns.length);
  });
});
