import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { InvalidPipelinePropsError } from './pipeline-limits.js';

/** The port the service listens on by default (PORT), and its liveness route. */
const CONTAINER_PORT = 8080;
const HEALTH_CHECK_PATH = '/healthz';
/** The Firehose route of the service (openapi.yaml). */
export const FIREHOSE_PATH = '/firehose';

export interface CdcSinkServiceProps {
  readonly image: ecs.ContainerImage;
  /** The name Firehose calls, covered by the certificate, e.g. cdc.example.com. */
  readonly domainName: string;
  readonly certificate: acm.ICertificate;
  /** When given, an alias record for domainName is created in it; otherwise point a CNAME at the load balancer yourself. */
  readonly hostedZone?: route53.IHostedZone;
  /** Plain-text secret: the accepted access keys, comma-separated (the service's ACCESS_KEY). */
  readonly accessKeysSecret: secretsmanager.ISecret;
  /** Plain-text secret: the database URL, postgres://… (the service's SINK_URL). */
  readonly sinkUrlSecret: secretsmanager.ISecret;
  /** Default: a new VPC over two availability zones with one NAT gateway. */
  readonly vpc?: ec2.IVpc;
  /** Default 1024 (1 vCPU). */
  readonly cpu?: number;
  /** Default 2048: a delivery may be 64 MiB of gzip that expands several times while decoded. */
  readonly memoryLimitMiB?: number;
  /** Default 2 (one per availability zone). */
  readonly minTasks?: number;
  /** Default 10. */
  readonly maxTasks?: number;
  /** Scale out above this many requests per task per minute. Default 600. */
  readonly requestsPerTarget?: number;
}

/**
 * The project's service on Fargate behind an HTTPS load balancer: secrets from Secrets Manager,
 * health check on /healthz, autoscaling on CPU and request count.
 */
export class CdcSinkService extends Construct {
  readonly service: ecsPatterns.ApplicationLoadBalancedFargateService;
  /** https://<domainName>/firehose: where Firehose should deliver. */
  readonly firehoseUrl: string;

  constructor(scope: Construct, id: string, props: CdcSinkServiceProps) {
    super(scope, id);
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 10;
    if (!Number.isInteger(minTasks) || minTasks < 1 || !Number.isInteger(maxTasks) || maxTasks < minTasks) {
      throw new InvalidPipelinePropsError([`minTasks/maxTasks: ${minTasks}/${maxTasks} must be integers with 1 <= minTasks <= maxTasks`]);
    }
    this.firehoseUrl = `https://${props.domainName}${FIREHOSE_PATH}`;

    const vpc = props.vpc ?? this.createVpc();
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    this.service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Service', {
      cluster,
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      desiredCount: minTasks,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskImageOptions: {
        image: props.image,
        containerPort: CONTAINER_PORT,
        secrets: {
          ACCESS_KEY: ecs.Secret.fromSecretsManager(props.accessKeysSecret),
          SINK_URL: ecs.Secret.fromSecretsManager(props.sinkUrlSecret),
        },
        logDriver: ecs.LogDrivers.awsLogs({
          streamPrefix: 'cdc-sink',
          logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }),
        }),
      },
      certificate: props.certificate,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      // Firehose speaks HTTPS only; no port 80 listener.
      redirectHTTP: false,
      domainName: props.hostedZone ? props.domainName : undefined,
      domainZone: props.hostedZone,
      // A delivery may take up to the service's DELIVERY_TIMEOUT_SECONDS (90 s) without a byte
      // on the wire; the default 60 s idle timeout would cut it off. Firehose waits 180 s.
      idleTimeout: Duration.seconds(180),
      healthCheckGracePeriod: Duration.seconds(60),
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
    });

    this.service.targetGroup.configureHealthCheck({
      path: HEALTH_CHECK_PATH,
      healthyHttpCodes: '200',
      interval: Duration.seconds(15),
      healthyThresholdCount: 2,
    });
    // Let in-flight deliveries finish before a task is stopped.
    this.service.targetGroup.setAttribute('deregistration_delay.timeout_seconds', '120');
    this.service.loadBalancer.setAttribute('routing.http.drop_invalid_header_fields.enabled', 'true');

    const scaling = this.service.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: props.requestsPerTarget ?? 600,
      targetGroup: this.service.targetGroup,
    });

    this.logLoadBalancerAccess();
    this.acknowledge();
  }

  private createVpc(): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH })),
    });
    return vpc;
  }

  private logLoadBalancerAccess(): void {
    const bucket = new s3.Bucket(this, 'LoadBalancerLogs', {
      // Load balancer access logs support SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.service.loadBalancer.logAccessLogs(bucket, 'alb');
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds the load balancer access logs; logging access to the log bucket itself would recurse.',
    });
  }

  private acknowledge(): void {
    Validations.of(this.service.loadBalancer).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'Firehose HTTP endpoint delivery comes from the public internet on 443; every write is authenticated by the access key (X-Amz-Firehose-Access-Key).',
    });
    // The execution role pulls the image and reads the two secrets; CDK scopes both, except
    // ecr:GetAuthorizationToken, which has no resource-level permissions.
    Validations.of(this.service.taskDefinition).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken (image pull) only supports Resource "*".',
    });
  }
}

/**
 * Files of the repository that are not part of the image's build context (infra/ too, so that a
 * change to the CDK app does not rebuild the image). A .dockerignore at the root, when there is
 * one, is applied as well.
 */
const NOT_IN_BUILD_CONTEXT = ['node_modules', '.git', 'infra', 'dist', 'data', 'coverage', '*.log'];

/**
 * The image built from the project's Dockerfile. CDK fingerprints the directory at synth time and
 * builds the image only at deploy; a missing Dockerfile is reported here with what to do instead.
 */
export function imageFromDockerfile(directory: string): ecs.ContainerImage {
  const dockerfile = join(directory, 'Dockerfile');
  if (!existsSync(dockerfile)) {
    throw new InvalidPipelinePropsError([
      `service image: ${dockerfile} does not exist; build from a checkout that has it, or pass a prebuilt image (-c serviceImage=<registry/image:tag>)`,
    ]);
  }
  return ecs.ContainerImage.fromAsset(directory, { exclude: NOT_IN_BUILD_CONTEXT, platform: Platform.LINUX_AMD64 });
}
