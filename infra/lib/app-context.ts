import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { CdcSinkStackProps, ServiceOptions } from './cdc-sink-stack.js';
import type { SourceTable } from './dynamodb-cdc-to-http-endpoint.js';
import { type DeliveryTuning, LIMITS, type Tunable } from './pipeline-limits.js';

/** The repository root: the service's Dockerfile and build context. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Used when no endpointUrl is given and the service does not run in the stack: synth warns. */
export const PLACEHOLDER_ENDPOINT_URL = 'https://cdc-sink.example.com/firehose';

/**
 * Every context key the app reads (`cdk deploy -c key=value` or cdk.json "context"), with its
 * default. README's Deploy section documents the same list.
 */
export const CONTEXT_KEYS = [
  'stackName',
  'account',
  'region',
  'tableName',
  'partitionKey',
  'sortKey',
  'existingTableName',
  'endpointUrl',
  'service',
  'domainName',
  'certificateArn',
  'sinkUrlSecretArn',
  'hostedZoneId',
  'hostedZoneName',
  'serviceImage',
  'accessKeySecretArn',
  'alarmTopicArn',
  ...(Object.keys(LIMITS) as Tunable[]),
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

export interface AppSettings {
  readonly stackName: string;
  readonly props: CdcSinkStackProps;
}

export type AppSettingsResult = { ok: true; settings: AppSettings } | { ok: false; problems: string[] };

// A partial secret ARN (without the random suffix) would make the IAM grants miss the secret.
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/;

const KEY_TYPES = { S: dynamodb.AttributeType.STRING, N: dynamodb.AttributeType.NUMBER, B: dynamodb.AttributeType.BINARY };

/**
 * Turns the context into stack props; every problem is reported at once. Needs no AWS access:
 * nothing here is looked up.
 */
export function readAppSettings(get: (key: ContextKey) => unknown, env: Record<string, string | undefined> = {}): AppSettingsResult {
  const problems: string[] = [];
  const text = (key: ContextKey): string | undefined => {
    const value = get(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    problems.push(`${key}: expected a string, got ${JSON.stringify(value)}`);
    return undefined;
  };

  const tuning: Record<string, number> = {};
  for (const key of Object.keys(LIMITS) as Tunable[]) {
    const raw = text(key);
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!/^\s*-?\d+(\.\d+)?\s*$/.test(raw) || !Number.isFinite(value)) problems.push(`${key}: ${JSON.stringify(raw)} is not a number`);
    else tuning[key] = value;
  }

  const attribute = (key: 'partitionKey' | 'sortKey', raw: string): dynamodb.Attribute | undefined => {
    const match = /^(.+):([SNB])$/.exec(raw);
    if (!match) {
      problems.push(`${key}: ${JSON.stringify(raw)} must be <name>:S, <name>:N or <name>:B`);
      return undefined;
    }
    return { name: match[1]!, type: KEY_TYPES[match[2] as keyof typeof KEY_TYPES] };
  };

  const existingTableName = text('existingTableName');
  let source: SourceTable | undefined;
  if (existingTableName) {
    if (text('partitionKey') || text('sortKey')) problems.push('partitionKey/sortKey: only for a new table, not with existingTableName');
    source = { existingTableName };
  } else {
    const partitionKey = attribute('partitionKey', text('partitionKey') ?? 'pk:S');
    const sortKeyText = text('sortKey');
    const sortKey = sortKeyText === undefined ? undefined : attribute('sortKey', sortKeyText);
    if (partitionKey) source = { tableName: text('tableName') ?? 'cdc-source', partitionKey, sortKey };
  }

  const serviceFlag = text('service') ?? 'false';
  if (!['true', 'false'].includes(serviceFlag)) problems.push(`service: ${JSON.stringify(serviceFlag)} must be true or false`);
  const runService = serviceFlag === 'true';
  let service: ServiceOptions | undefined;
  const endpointUrl = text('endpointUrl');
  if (runService) {
    if (endpointUrl) problems.push('endpointUrl: not with service=true (Firehose then calls https://<domainName>/firehose)');
    const required = (['domainName', 'certificateArn', 'sinkUrlSecretArn'] as const).filter((key) => !text(key));
    for (const key of required) problems.push(`${key}: required with service=true`);
    const zoneId = text('hostedZoneId');
    const zoneName = text('hostedZoneName');
    if ((zoneId === undefined) !== (zoneName === undefined)) problems.push('hostedZoneId/hostedZoneName: give both or neither');
    if (required.length === 0) {
      service = {
        domainName: text('domainName')!,
        certificateArn: text('certificateArn')!,
        sinkUrlSecretArn: text('sinkUrlSecretArn')!,
        hostedZone: zoneId && zoneName ? { id: zoneId, name: zoneName } : undefined,
        image: text('serviceImage'),
        imageDirectory: REPO_ROOT,
      };
    }
  } else {
    for (const key of ['domainName', 'certificateArn', 'sinkUrlSecretArn', 'hostedZoneId', 'hostedZoneName', 'serviceImage'] as const) {
      if (text(key)) problems.push(`${key}: only used with service=true`);
    }
  }

  const formatOf = { sinkUrlSecretArn: SECRET_ARN, accessKeySecretArn: SECRET_ARN, certificateArn: CERTIFICATE_ARN };
  for (const [key, format] of Object.entries(formatOf) as [keyof typeof formatOf, RegExp][]) {
    const arn = text(key);
    if (arn !== undefined && !format.test(arn))
      problems.push(
        `${key}: ${JSON.stringify(arn)} is not ${format === SECRET_ARN ? 'a complete Secrets Manager ARN (…:secret:<name>-<6 characters>)' : 'an ACM certificate ARN'}`,
      );
  }

  if (problems.length > 0 || !source) return { ok: false, problems };
  return {
    ok: true,
    settings: {
      stackName: text('stackName') ?? 'DynamoDbCdcSink',
      props: {
        // An explicit region keeps synth free of lookups; the account stays unresolved unless known.
        env: { account: text('account') ?? env.CDK_DEFAULT_ACCOUNT, region: text('region') ?? env.CDK_DEFAULT_REGION ?? 'us-east-1' },
        source,
        tuning: tuning as DeliveryTuning,
        service,
        endpointUrl: service ? undefined : (endpointUrl ?? PLACEHOLDER_ENDPOINT_URL),
        endpointUrlIsPlaceholder: !service && endpointUrl === undefined,
        accessKeySecretArn: text('accessKeySecretArn'),
        alarmTopicArn: text('alarmTopicArn'),
      },
    },
  };
}
