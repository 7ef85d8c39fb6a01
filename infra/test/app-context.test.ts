import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, type ContextKey, PLACEHOLDER_ENDPOINT_URL, readAppSettings, REPO_ROOT } from '../lib/app-context.js';
import { LIMITS } from '../lib/pipeline-limits.js';

const SERVICE = {
  service: 'true',
  domainName: 'cdc.example.com',
  certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/abc',
  sinkUrlSecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:sink-url-Ab12Cd',
};

function read(context: Partial<Record<ContextKey, unknown>>, env: Record<string, string> = {}) {
  return readAppSettings((key) => context[key], env);
}

function problems(context: Partial<Record<ContextKey, unknown>>): string[] {
  const result = read(context);
  if (result.ok) throw new Error('accepted');
  return result.problems;
}

describe('app context', () => {
  it('synthesizes with no context at all: a new table, the placeholder endpoint, a region without lookups', () => {
    const result = read({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.settings.stackName).toBe('DynamoDbCdcSink');
    expect(result.settings.props).toMatchObject({
      env: { account: undefined, region: 'us-east-1' },
      source: { tableName: 'cdc-source', partitionKey: { name: 'pk', type: 'S' } },
      endpointUrl: PLACEHOLDER_ENDPOINT_URL,
      endpointUrlIsPlaceholder: true,
      service: undefined,
      tuning: {},
    });
  });

  it('takes account and region from the CLI environment when not given', () => {
    const result = read({}, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-central-1' });
    expect(result.ok && result.settings.props.env).toEqual({ account: '123456789012', region: 'eu-central-1' });
  });

  it('reads keys, tuning numbers given as CLI strings, and an external endpoint', () => {
    const result = read({
      tableName: 'devices',
      partitionKey: 'device:S',
      sortKey: 'at:N',
      endpointUrl: 'https://sink.example.org/firehose',
      bufferSizeMiB: '16',
      bufferIntervalSeconds: 0,
      retryDurationSeconds: '7200',
      streamRetentionHours: '168',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.settings.props).toMatchObject({
      source: { tableName: 'devices', partitionKey: { name: 'device', type: 'S' }, sortKey: { name: 'at', type: 'N' } },
      endpointUrl: 'https://sink.example.org/firehose',
      endpointUrlIsPlaceholder: false,
      tuning: { bufferSizeMiB: 16, bufferIntervalSeconds: 0, retryDurationSeconds: 7200, streamRetentionHours: 168 },
    });
  });

  it('builds the service from the repository root Dockerfile unless an image is given', () => {
    const built = read(SERVICE);
    expect(built.ok && built.settings.props.service).toMatchObject({ domainName: 'cdc.example.com', imageDirectory: REPO_ROOT, image: undefined });
    expect(built.ok && built.settings.props.endpointUrl).toBeUndefined();
    expect(existsSync(join(REPO_ROOT, 'package.json')) && existsSync(join(REPO_ROOT, 'infra', 'cdk.json'))).toBe(true);
    const prebuilt = read({ ...SERVICE, serviceImage: 'ghcr.io/example/sink:1', hostedZoneId: 'Z1', hostedZoneName: 'example.com' });
    expect(prebuilt.ok && prebuilt.settings.props.service).toMatchObject({ image: 'ghcr.io/example/sink:1', hostedZone: { id: 'Z1', name: 'example.com' } });
  });

  it('imports an existing table by name', () => {
    const result = read({ existingTableName: 'orders' });
    expect(result.ok && result.settings.props.source).toEqual({ existingTableName: 'orders' });
  });

  it('reports every problem at once', () => {
    expect(problems({ service: 'true', endpointUrl: 'https://x.example.com', hostedZoneId: 'Z1', bufferSizeMiB: 'lots', partitionKey: 'device' })).toEqual([
      'bufferSizeMiB: "lots" is not a number',
      'partitionKey: "device" must be <name>:S, <name>:N or <name>:B',
      'endpointUrl: not with service=true (Firehose then calls https://<domainName>/firehose)',
      'domainName: required with service=true',
      'certificateArn: required with service=true',
      'sinkUrlSecretArn: required with service=true',
      'hostedZoneId/hostedZoneName: give both or neither',
    ]);
    expect(problems({ service: 'yes' })).toEqual(['service: "yes" must be true or false']);
    expect(problems({ certificateArn: SERVICE.certificateArn })).toEqual(['certificateArn: only used with service=true']);
    expect(problems({ ...SERVICE, sinkUrlSecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:sink-url', certificateArn: 'cert-1' })).toEqual([
      'sinkUrlSecretArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:sink-url" is not a complete Secrets Manager ARN (…:secret:<name>-<6 characters>)',
      'certificateArn: "cert-1" is not an ACM certificate ARN',
    ]);
    expect(problems({ existingTableName: 'orders', sortKey: 'at:N' })).toEqual(['partitionKey/sortKey: only for a new table, not with existingTableName']);
  });
});

describe("README's context table", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const table = /<!-- cdk-context:start -->([\s\S]*?)<!-- cdk-context:end -->/.exec(readme)?.[1] ?? '';
  const rows = table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split(' | '));

  it('lists exactly the context keys the app reads', () => {
    const documented = rows.flatMap(([keys]) => [...keys!.matchAll(/`(\w+)`/g)].map((m) => m[1]));
    expect(documented.sort()).toEqual([...CONTEXT_KEYS].sort());
  });

  it('gives the tunables their real defaults and AWS ranges', () => {
    for (const [name, { min, max, default: value }] of Object.entries(LIMITS)) {
      const row = rows.find(([keys]) => keys === `| \`${name}\``);
      expect(row?.[1], name).toBe(`\`${value}\``);
      expect(row?.[2], name).toContain(`${min}–${max}`);
    }
    expect(table).toContain(PLACEHOLDER_ENDPOINT_URL);
  });
});
