import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { createFirehoseKeySecret } from './access-key-secrets.js';
import { type DeliveryTuning, endpointUrlProblems, InvalidPipelinePropsError, type ResolvedTuning, resolveTuning, tuningProblems } from './pipeline-limits.js';

/** A table this construct creates, with the kinesis streaming destination set on it. */
export interface NewSourceTable {
  readonly tableName?: string;
  readonly partitionKey: dynamodb.Attribute;
  readonly sortKey?: dynamodb.Attribute;
  /** Default RETAIN: deleting the stack must not delete the data. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A table that already exists outside this app: its streaming destination is switched on (and off
 * again when the stack is deleted) through the DynamoDB API, since CloudFormation can set it only
 * on tables it owns.
 */
export interface ExistingSourceTable {
  readonly existingTableName: string;
}

export type SourceTable = NewSourceTable | ExistingSourceTable;

export interface AlarmThresholds {
  /** Oldest record not yet delivered by Firehose. Default 900 s. */
  readonly dataFreshnessSeconds?: number;
  /** Oldest record not yet read from the Kinesis stream. Default 900 s. */
  readonly iteratorAgeSeconds?: number;
}

export interface DynamoDbCdcToHttpEndpointProps extends DeliveryTuning {
  readonly source: SourceTable;
  /** Where Firehose posts the changes (https only), e.g. https://cdc.example.com/firehose. */
  readonly endpointUrl: string;
  /**
   * The key Firehose sends in X-Amz-Firehose-Access-Key, as a secret whose JSON is
   * {"api_key": "…"}. Default: a new secret with a generated key.
   */
  readonly accessKeySecret?: secretsmanager.ISecret;
  /** Where Firehose puts batches it could not deliver. Default: a new encrypted, SSL-only bucket. */
  readonly backupBucket?: s3.IBucket;
  /** Default one month. */
  readonly logRetention?: logs.RetentionDays;
  readonly alarmThresholds?: AlarmThresholds;
  /** Notified when an alarm fires or clears. */
  readonly alarmTopic?: sns.ITopic;
}

const DEFAULT_THRESHOLD_SECONDS = 900;

/**
 * DynamoDB table → Kinesis data stream (on demand, encrypted) → Firehose → HTTP endpoint, with
 * least-privilege roles, failed batches backed up to S3, logs and alarms.
 */
export class DynamoDbCdcToHttpEndpoint extends Construct {
  readonly table: dynamodb.ITable;
  readonly stream: kinesis.Stream;
  readonly deliveryStream: firehose.DeliveryStream;
  readonly accessKeySecret: secretsmanager.ISecret;
  readonly backupBucket: s3.IBucket;
  readonly tuning: ResolvedTuning;
  readonly alarms: {
    readonly deliverySuccess: cloudwatch.Alarm;
    readonly dataFreshness: cloudwatch.Alarm;
    readonly iteratorAge: cloudwatch.Alarm;
  };

  constructor(scope: Construct, id: string, props: DynamoDbCdcToHttpEndpointProps) {
    super(scope, id);
    const problems = [...tuningProblems(props), ...endpointUrlProblems(props.endpointUrl), ...thresholdProblems(props.alarmThresholds)];
    if (problems.length > 0) throw new InvalidPipelinePropsError(problems);
    this.tuning = resolveTuning(props);

    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: kinesis.StreamMode.ON_DEMAND,
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(this.tuning.streamRetentionHours),
    });
    this.table = 'existingTableName' in props.source ? this.streamExistingTable(props.source.existingTableName) : this.createTable(props.source);

    this.accessKeySecret = props.accessKeySecret ?? createFirehoseKeySecret(this, 'AccessKey');
    this.backupBucket = props.backupBucket ?? this.createBackupBucket();
    const logGroup = new logs.LogGroup(this, 'DeliveryLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      source: new firehose.KinesisStreamSource(this.stream),
      destination: new firehose.HttpEndpoint({
        endpointConfig: { url: props.endpointUrl, name: 'dynamodb-cdc-sink', secret: this.accessKeySecret },
        requestCompression: firehose.HttpCompression.GZIP,
        bufferingHints: {
          size: Size.mebibytes(this.tuning.bufferSizeMiB),
          interval: Duration.seconds(this.tuning.bufferIntervalSeconds),
        },
        retryOptions: { duration: Duration.seconds(this.tuning.retryDurationSeconds) },
        backupMode: firehose.HttpBackupMode.FAILED,
        s3Backup: { bucket: this.backupBucket, loggingConfig: new firehose.EnableLogging(logGroup) },
        loggingConfig: new firehose.EnableLogging(logGroup),
      }),
    });

    this.acknowledgeDeliveryStream();
    this.alarms = this.createAlarms(props.alarmThresholds ?? {});
    if (props.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(props.alarmTopic);
      for (const alarm of Object.values(this.alarms)) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  private createTable(source: NewSourceTable): dynamodb.Table {
    return new dynamodb.Table(this, 'Table', {
      tableName: source.tableName,
      partitionKey: source.partitionKey,
      sortKey: source.sortKey,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      kinesisStream: this.stream,
      // The sink orders changes by this timestamp; microseconds keep changes of the same
      // millisecond apart (CONTEXT: Kinesis records carry no sequence number).
      kinesisPrecisionTimestamp: dynamodb.ApproximateCreationDateTimePrecision.MICROSECOND,
      removalPolicy: source.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  private streamExistingTable(tableName: string): dynamodb.ITable {
    const table = dynamodb.Table.fromTableName(this, 'Table', tableName);
    const destination = { TableName: tableName, StreamArn: this.stream.streamArn };
    const enable = new cr.AwsCustomResource(this, 'KinesisStreamingDestination', {
      onCreate: {
        service: 'DynamoDB',
        action: 'EnableKinesisStreamingDestination',
        parameters: {
          ...destination,
          EnableKinesisStreamingConfiguration: { ApproximateCreationDateTimePrecision: 'MICROSECOND' },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${tableName}-kinesis-streaming-destination`),
      },
      onDelete: { service: 'DynamoDB', action: 'DisableKinesisStreamingDestination', parameters: destination },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        // The permissions DynamoDB documents for enabling and disabling a streaming destination
        // (developer guide, "Using IAM policies for Amazon Kinesis Data Streams and DynamoDB").
        new iam.PolicyStatement({
          actions: ['dynamodb:EnableKinesisStreamingDestination', 'dynamodb:DisableKinesisStreamingDestination'],
          resources: [table.tableArn],
        }),
        new iam.PolicyStatement({
          actions: ['kinesis:PutRecords', 'kinesis:DescribeStream'],
          resources: [this.stream.streamArn],
        }),
        new iam.PolicyStatement({ actions: ['kinesis:ListStreams'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
    });
    Validations.of(enable).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'kinesis:ListStreams has no resource-level permissions; DynamoDB requires it to enable a streaming destination.',
    });
    acknowledgeCustomResourceProvider(this);
    return table;
  }

  private createBackupBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'FailedDeliveries', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Failed batches are the only copy of those changes once the stream retention passes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Only Firehose writes here (failed batches, logged in the delivery log group); an access-log bucket would add cost without an audit need.',
    });
    return bucket;
  }

  private acknowledgeDeliveryStream(): void {
    Validations.of(this.deliveryStream).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason: 'Firehose rejects its own server-side encryption with a Kinesis stream source; the source stream is KMS-encrypted and delivery is HTTPS only.',
    });
    // The Firehose L2 grants its destination role read/write on the backup bucket: wildcards in
    // action names and object keys, all confined to that one bucket.
    const backupGrants = ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map(
      (action) => `AwsSolutions-IAM5[Action::${action}]`,
    );
    const bucketArn = Stack.of(this).resolve(this.backupBucket.bucketArn) as unknown;
    // cdk-nag names the object wildcard after the bucket: <LogicalId.Arn>/* for a bucket of this
    // stack, the literal ARN for an imported one.
    const objects = isGetAttArn(bucketArn)
      ? [`AwsSolutions-IAM5[Resource::<${bucketArn['Fn::GetAtt'][0]}.Arn>/*]`]
      : typeof bucketArn === 'string'
        ? [`AwsSolutions-IAM5[Resource::${bucketArn}/*]`]
        : [];
    for (const id of [...backupGrants, ...objects]) {
      Validations.of(this.deliveryStream).acknowledge({
        id,
        reason:
          'Generated by the Firehose L2 for the failed-delivery bucket only: Firehose writes, lists and aborts multipart uploads of backup objects there.',
      });
    }
  }

  private createAlarms(thresholds: AlarmThresholds) {
    const fiveMinutes = Duration.minutes(5);
    const deliverySuccess = new cloudwatch.Alarm(this, 'DeliverySuccessAlarm', {
      alarmDescription: 'Firehose deliveries to the CDC sink fail (batches are retried, then backed up to S3).',
      metric: this.deliveryStream.metric('DeliveryToHttpEndpoint.Success', { statistic: 'Average', period: fiveMinutes }),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 3,
      // No deliveries (no changes) is not a failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const dataFreshness = new cloudwatch.Alarm(this, 'DataFreshnessAlarm', {
      alarmDescription: 'The oldest change in Firehose has waited too long for delivery to the CDC sink.',
      metric: this.deliveryStream.metric('DeliveryToHttpEndpoint.DataFreshness', { statistic: 'Maximum', period: fiveMinutes }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: thresholds.dataFreshnessSeconds ?? DEFAULT_THRESHOLD_SECONDS,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const iteratorAge = new cloudwatch.Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: 'Changes wait in the Kinesis stream: Firehose falls behind (records expire after the retention).',
      metric: this.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: fiveMinutes }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: (thresholds.iteratorAgeSeconds ?? DEFAULT_THRESHOLD_SECONDS) * 1000,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return { deliverySuccess, dataFreshness, iteratorAge };
  }
}

function isGetAttArn(value: unknown): value is { 'Fn::GetAtt': [string, string] } {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string';
}

function thresholdProblems(thresholds: AlarmThresholds | undefined): string[] {
  return Object.entries(thresholds ?? {})
    .filter(([, value]) => value !== undefined && !(Number.isFinite(value) && value > 0))
    .map(([name, value]) => `alarmThresholds.${name}: ${value} is not a positive number`);
}

/**
 * AwsCustomResource runs on one Lambda function per stack, created by CDK with the AWS managed
 * basic-execution policy (it only writes its own logs); it is not ours to configure.
 */
function acknowledgeCustomResourceProvider(scope: Construct): void {
  const provider = Stack.of(scope).node.findChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The CDK-provided AwsCustomResource Lambda only writes its own logs, with the AWS basic-execution policy.',
  });
}
