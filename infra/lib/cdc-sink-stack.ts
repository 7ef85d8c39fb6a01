import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { createAcceptedKeysSecret, createFirehoseKeySecret } from './access-key-secrets.js';
import { CdcSinkService, imageFromDockerfile } from './cdc-sink-service.js';
import { DynamoDbCdcToHttpEndpoint, type SourceTable } from './dynamodb-cdc-to-http-endpoint.js';
import { type DeliveryTuning, InvalidPipelinePropsError } from './pipeline-limits.js';

/** Run the service on Fargate in this stack. */
export interface ServiceOptions {
  readonly domainName: string;
  readonly certificateArn: string;
  /** Complete ARN of a plain-text secret holding the database URL (SINK_URL). */
  readonly sinkUrlSecretArn: string;
  /** Both or neither: creates the alias record for domainName. */
  readonly hostedZone?: { readonly id: string; readonly name: string };
  /** Build context holding the project's Dockerfile (the repository root). */
  readonly imageDirectory?: string;
  /** A prebuilt image (registry/name:tag) instead of building imageDirectory. */
  readonly image?: string;
}

export interface CdcSinkStackProps extends StackProps {
  readonly source: SourceTable;
  readonly tuning?: DeliveryTuning;
  /** Where the service already runs (https). Mutually exclusive with `service`. */
  readonly endpointUrl?: string;
  readonly service?: ServiceOptions;
  /** Complete ARN of an existing {"api_key": "…"} secret for Firehose; default: generated. */
  readonly accessKeySecretArn?: string;
  readonly alarmTopicArn?: string;
  /** Marks endpointUrl as a placeholder: synth warns that nothing would be delivered. */
  readonly endpointUrlIsPlaceholder?: boolean;
}

/** The whole pipeline: DynamoDB → Kinesis → Firehose → the service (on Fargate, or elsewhere). */
export class CdcSinkStack extends Stack {
  readonly pipeline: DynamoDbCdcToHttpEndpoint;
  readonly sinkService?: CdcSinkService;

  constructor(scope: Construct, id: string, props: CdcSinkStackProps) {
    super(scope, id, props);
    if ((props.endpointUrl === undefined) === (props.service === undefined)) {
      throw new InvalidPipelinePropsError(['give exactly one of endpointUrl (the service runs elsewhere) and service (run it here)']);
    }

    // Made here rather than by the pipeline construct: the service needs it first, and switching
    // between the two variants then keeps the key.
    const firehoseKey = props.accessKeySecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'AccessKey', props.accessKeySecretArn)
      : createFirehoseKeySecret(this, 'FirehoseAccessKey');
    let endpointUrl = props.endpointUrl ?? '';
    if (props.service) {
      this.sinkService = this.createService(props.service, firehoseKey);
      endpointUrl = this.sinkService.firehoseUrl;
    } else if (props.endpointUrlIsPlaceholder) {
      Annotations.of(this).addWarningV2(
        'cdc-sink:placeholderEndpoint',
        `endpointUrl is the placeholder ${endpointUrl}: set -c endpointUrl=https://… or -c service=true (README, Deploy)`,
      );
    }

    this.pipeline = new DynamoDbCdcToHttpEndpoint(this, 'Pipeline', {
      ...props.tuning,
      source: props.source,
      endpointUrl,
      accessKeySecret: firehoseKey,
      alarmTopic: props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined,
    });

    new CfnOutput(this, 'FirehoseEndpointUrl', { value: endpointUrl });
    new CfnOutput(this, 'AccessKeySecretArn', {
      value: this.pipeline.accessKeySecret.secretArn,
      description: 'Secret {"api_key": …} that Firehose sends as X-Amz-Firehose-Access-Key',
    });
    new CfnOutput(this, 'FailedDeliveriesBucket', { value: this.pipeline.backupBucket.bucketName });
    new CfnOutput(this, 'DeliveryStreamName', { value: this.pipeline.deliveryStream.deliveryStreamName });
  }

  private createService(options: ServiceOptions, firehoseKey: secretsmanager.ISecret): CdcSinkService {
    const acceptedKeys = createAcceptedKeysSecret(this, 'ServiceAccessKeys', firehoseKey);
    const image = options.image ? ecs.ContainerImage.fromRegistry(options.image) : imageFromDockerfile(options.imageDirectory ?? '.');
    const hostedZone = options.hostedZone
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: options.hostedZone.id, zoneName: options.hostedZone.name })
      : undefined;
    const service = new CdcSinkService(this, 'SinkService', {
      image,
      domainName: options.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', options.certificateArn),
      hostedZone,
      accessKeysSecret: acceptedKeys,
      sinkUrlSecret: secretsmanager.Secret.fromSecretCompleteArn(this, 'SinkUrl', options.sinkUrlSecretArn),
    });
    new CfnOutput(this, 'ServiceAccessKeysSecretArn', {
      value: acceptedKeys.secretArn,
      description: 'Secret holding the keys the service accepts (ACCESS_KEY), comma-separated',
    });
    new CfnOutput(this, 'ClusterName', { value: service.service.cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: service.service.service.serviceName });
    return service;
  }
}
