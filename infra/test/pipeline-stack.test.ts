import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NEW_TABLE, synth } from './support/stacks.js';

const URL = 'https://cdc.example.com/firehose';
const TOPIC_ARN = 'arn:aws:sns:eu-central-1:123456789012:cdc-alarms';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

function onlyLogicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids, type).toHaveLength(1);
  return ids[0]!;
}

/** Every IAM statement of the template, one per resource it names (policies may merge them). */
function statements(template: Template): { roles: unknown; Action: string | string[]; Resource: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy') as Resources).flatMap((policy) => {
    const document = policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] };
    return document.Statement.flatMap((statement) =>
      [statement.Resource].flat().map((Resource) => ({ ...statement, Resource, roles: policy.Properties.Roles })),
    );
  });
}

const asList = (action: string | string[]) => (Array.isArray(action) ? action : [action]);

describe('the pipeline stack with a new table and an external endpoint', () => {
  let template: Template;
  let ids: { table: string; stream: string; delivery: string; secret: string; bucket: string; logs: string };

  beforeAll(() => {
    template = synth({
      source: NEW_TABLE,
      endpointUrl: URL,
      tuning: { bufferSizeMiB: 8, bufferIntervalSeconds: 30, retryDurationSeconds: 1800, streamRetentionHours: 48 },
      alarmTopicArn: TOPIC_ARN,
    });
    ids = {
      table: onlyLogicalId(template, 'AWS::DynamoDB::Table'),
      stream: onlyLogicalId(template, 'AWS::Kinesis::Stream'),
      delivery: onlyLogicalId(template, 'AWS::KinesisFirehose::DeliveryStream'),
      secret: onlyLogicalId(template, 'AWS::SecretsManager::Secret'),
      bucket: onlyLogicalId(template, 'AWS::S3::Bucket'),
      logs: onlyLogicalId(template, 'AWS::Logs::LogGroup'),
    };
  });

  it('streams the table into the Kinesis stream with MICROSECOND timestamps, and keeps the table on stack deletion', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'table-testdrive',
        KeySchema: [
          { AttributeName: 'device', KeyType: 'HASH' },
          { AttributeName: 'timestamp', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KinesisStreamSpecification: {
          StreamArn: { 'Fn::GetAtt': [ids.stream, 'Arn'] },
          ApproximateCreationDateTimePrecision: 'MICROSECOND',
        },
      },
    });
  });

  it('makes the stream on-demand, KMS-encrypted, with the retention asked for', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      RetentionPeriodHours: 48,
    });
  });

  it('reads the stream with Firehose and posts gzip batches to the https URL with the key from Secrets Manager', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: { 'Fn::GetAtt': [ids.stream, 'Arn'] } },
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: { Url: URL, Name: 'dynamodb-cdc-sink', AccessKey: Match.absent() },
        RequestConfiguration: { ContentEncoding: 'GZIP' },
        BufferingHints: { SizeInMBs: 8, IntervalInSeconds: 30 },
        RetryOptions: { DurationInSeconds: 1800 },
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: { BucketARN: { 'Fn::GetAtt': [ids.bucket, 'Arn'] } },
        SecretsManagerConfiguration: { Enabled: true, SecretARN: { Ref: ids.secret } },
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: ids.logs } },
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { SecretStringTemplate: '{}', GenerateStringKey: 'api_key', ExcludePunctuation: true },
    });
  });

  it('backs failed batches up to an encrypted, private bucket that refuses plain HTTP', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('gives Firehose least-privilege roles: read the stream, read the key, write the bucket and its logs', () => {
    const all = statements(template);
    expect(
      all.filter((s) => s.Resource === '*'),
      'no statement on every resource',
    ).toEqual([]);
    const on = (resource: unknown) => all.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(resource));

    const streamActions = on({ 'Fn::GetAtt': [ids.stream, 'Arn'] }).flatMap((s) => asList(s.Action));
    expect(
      streamActions.every((a) => /^kinesis:(Describe|Get|List|SubscribeToShard)/.test(a)),
      streamActions.join(),
    ).toBe(true);
    expect(streamActions).toEqual(expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStreamSummary']));

    expect(
      on({ Ref: ids.secret })
        .flatMap((s) => asList(s.Action))
        .sort(),
    ).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(
      on({ 'Fn::GetAtt': [ids.logs, 'Arn'] })
        .flatMap((s) => asList(s.Action))
        .sort(),
    ).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const bucketActions = all.filter((s) => JSON.stringify(s.Resource).includes(ids.bucket)).flatMap((s) => asList(s.Action));
    expect(bucketActions).toContain('s3:PutObject');
    expect(bucketActions.every((a) => a.startsWith('s3:'))).toBe(true);

    // Both roles can be assumed by Firehose only.
    for (const role of Object.values(template.findResources('AWS::IAM::Role') as Resources)) {
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('firehose.amazonaws.com');
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    expect(Object.keys(template.findResources('AWS::IAM::Role'))).toHaveLength(2);
  });

  it('alarms on delivery success, data freshness and iterator age, notifying the topic', () => {
    const alarm = (namespace: string, metric: string, props: Record<string, unknown>) =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: namespace,
        MetricName: metric,
        AlarmActions: [TOPIC_ARN],
        OKActions: [TOPIC_ARN],
        TreatMissingData: 'notBreaching',
        ...props,
      });
    alarm('AWS/Firehose', 'DeliveryToHttpEndpoint.Success', {
      Dimensions: [{ Name: 'DeliveryStreamName', Value: { Ref: ids.delivery } }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      Statistic: 'Average',
    });
    alarm('AWS/Firehose', 'DeliveryToHttpEndpoint.DataFreshness', {
      Dimensions: [{ Name: 'DeliveryStreamName', Value: { Ref: ids.delivery } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 900,
      Statistic: 'Maximum',
    });
    alarm('AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', {
      Dimensions: [{ Name: 'StreamName', Value: { Ref: ids.stream } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 900_000,
      Statistic: 'Maximum',
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });

  it('runs no service and outputs what operators need', () => {
    template.resourceCountIs('AWS::ECS::Service', 0);
    template.hasOutput('FirehoseEndpointUrl', { Value: URL });
    template.hasOutput('AccessKeySecretArn', { Value: { Ref: ids.secret } });
    template.hasOutput('FailedDeliveriesBucket', { Value: { Ref: ids.bucket } });
  });
});

describe('the pipeline stack with an existing table', () => {
  let template: Template;

  beforeAll(() => {
    template = synth({
      source: { existingTableName: 'orders' },
      endpointUrl: URL,
      accessKeySecretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:firehose-key-Zx12Yw',
    });
  });

  it('leaves the table alone and switches on its streaming destination (MICROSECOND) through the API, off on delete', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    const stream = onlyLogicalId(template, 'AWS::Kinesis::Stream');
    const [call, ...others] = Object.values(template.findResources('Custom::AWS') as Resources);
    expect(others).toHaveLength(0);
    const create = JSON.stringify(call!.Properties.Create);
    expect(create).toContain('\\"action\\":\\"EnableKinesisStreamingDestination\\"');
    expect(create).toContain('\\"TableName\\":\\"orders\\"');
    expect(create).toContain('\\"ApproximateCreationDateTimePrecision\\":\\"MICROSECOND\\"');
    expect(create).toContain(stream);
    expect(JSON.stringify(call!.Properties.Delete)).toContain('DisableKinesisStreamingDestination');
  });

  it('lets the enabling call touch only that table and stream', () => {
    const all = statements(template);
    const dynamo = all.filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'dynamodb:DisableKinesisStreamingDestination',
      'dynamodb:EnableKinesisStreamingDestination',
    ]);
    expect(JSON.stringify(dynamo.map((s) => s.Resource))).toContain(':table/orders');
    // Only kinesis:ListStreams, which has no resource-level permissions, is on "*".
    expect(all.filter((s) => s.Resource === '*').flatMap((s) => asList(s.Action))).toEqual(['kinesis:ListStreams']);
  });

  it('uses the given Firehose key secret instead of generating one', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      HttpEndpointDestinationConfiguration: {
        SecretsManagerConfiguration: { Enabled: true, SecretARN: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:firehose-key-Zx12Yw' },
      },
    });
  });
});
