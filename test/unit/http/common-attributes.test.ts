import { describe, expect, it } from 'vitest';
import { streamSettings } from '../../../src/http/common-attributes.js';

const header = (attributes: unknown) => JSON.stringify({ commonAttributes: attributes });

describe('X-Amz-Firehose-Common-Attributes', () => {
  it('reads TARGET_SCHEMA and TABLE_MAP, and nothing without them', () => {
    expect(streamSettings(undefined, 'cdc_dead_letters')).toEqual({ ok: true, settings: {} });
    expect(streamSettings(header({}), 'cdc_dead_letters')).toEqual({ ok: true, settings: {} });
    const read = streamSettings(header({ TARGET_SCHEMA: 'eu_orders', TABLE_MAP: 'orders=orders, *=misc', team: 'ignored' }), 'cdc_dead_letters');
    expect(read.ok && read.settings.targetSchema).toBe('eu_orders');
    expect(read.ok && [...read.settings.tableMap!]).toEqual([
      ['orders', 'orders'],
      ['*', 'misc'],
    ]);
  });

  it('decodes UTF-8 that Node read as latin1 (a non-ASCII source table)', () => {
    const mangled = Buffer.from(header({ TABLE_MAP: 'Bestellungen-für-Köln=bestellungen' }), 'utf8').toString('latin1');
    const read = streamSettings(mangled, 'cdc_dead_letters');
    expect(read.ok && [...read.settings.tableMap!]).toEqual([['Bestellungen-für-Köln', 'bestellungen']]);
  });

  it('refuses wrong values of its attributes with every problem named', () => {
    const bad = streamSettings(header({ TARGET_SCHEMA: 'Not-A-Schema', TABLE_MAP: 'a=B-ad' }), 'cdc_dead_letters');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^X-Amz-Firehose-Common-Attributes: TARGET_SCHEMA "Not-A-Schema": lower-case letters.*; TABLE_MAP: .*a=B-ad/);
    const internal = streamSettings(header({ TABLE_MAP: '*=cdc_dead_letters' }), 'cdc_dead_letters');
    expect(!internal.ok && internal.error).toContain('internal table');
    const notText = streamSettings(header({ TARGET_SCHEMA: 5 }), 'cdc_dead_letters');
    expect(!notText.ok && notText.error).toContain('TARGET_SCHEMA must be a string');
  });

  it('ignores a header that is not Firehose JSON, saying why', () => {
    expect(streamSettings('not json', 'cdc_dead_letters')).toEqual({ ok: true, settings: {}, ignored: 'X-Amz-Firehose-Common-Attributes is not JSON' });
    expect(streamSettings('{"other":1}', 'cdc_dead_letters')).toMatchObject({
      ok: true,
      settings: {},
      ignored: expect.stringContaining('no commonAttributes'),
    });
  });
});
