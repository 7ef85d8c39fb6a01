import { expect, it } from 'vitest';
import { readJson } from '../support/read-json.js';
import { fixture } from '../support/fixtures.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { describeTargets, sinkTargets } from '../support/sinks.js';

// The README's example, against every sink (a live CrateDB only where CRATEDB_URL is set).
describeTargets('the seed delivery into', sinkTargets, {}, (h) => {
  const rows = () => h.rows('table_testdrive');

  it('answers exactly {requestId, timestamp} and leaves qux live and foo deleted', async () => {
    const body = fixture('../../examples/seed-delivery.json');
    const response = await h.app.request(firehoseRequest(body));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const answer = await readJson(response);
    expect(Object.keys(answer).sort()).toEqual(['requestId', 'timestamp']);
    expect(answer.requestId).toBe(body.requestId);
    expect(Number.isInteger(answer.timestamp)).toBe(true);

    const [foo, qux] = await rows();
    expect(qux).toMatchObject({ pk: '{"device":"qux","timestamp":"2024-07-12T01:17:42"}', deleted: false, version: '1720740233012995' });
    expect(JSON.parse(qux!.item)).toEqual({ humidity: 84.84, temperature: 42.42, device: 'qux', timestamp: '2024-07-12T01:17:42' });
    expect(foo).toMatchObject({ deleted: true, version: '1720742321848352', event_name: 'REMOVE' });
  });

  it('changes nothing when the same delivery arrives again, or its records in reverse order', async () => {
    const before = await rows();
    const records = ['seed-insert', 'seed-modify', 'seed-remove'].map((n) => fixture(`kinesis/${n}.json`));
    expect((await h.app.request(firehoseRequest(firehoseBody(records.reverse())))).status).toBe(200);
    expect((await h.app.request(firehoseRequest(firehoseBody([records[0]]), { gzip: true }))).status).toBe(200);
    expect(await rows()).toEqual(before);
  });

  it('a late MODIFY older than the tombstone does not bring foo back', async () => {
    const modify = fixture('kinesis/seed-modify.json');
    modify.eventID = 'late-redelivery';
    const response = await h.app.request(firehoseRequest(firehoseBody([modify])));
    expect(response.status).toBe(200);
    const foo = (await rows()).find((r) => r.pk.includes('"foo"'));
    expect(foo).toMatchObject({ deleted: true, event_name: 'REMOVE' });
  });
});
