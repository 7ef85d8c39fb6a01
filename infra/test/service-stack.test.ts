import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidPipelinePropsError } from '../lib/pipeline-limits.js';
import { buildStack, CERTIFICATE_ARN, NEW_TABLE, serviceOptions, SINK_URL_SECRET_ARN, synth } from './support/stacks.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

function logicalIdOf(template: Template, type: string, props: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids, type).toHaveLength(1);
  return ids[0]!;
}

describe('the pipeline stack running the service on Fargate', () => {
  let template: Template;
  let firehoseKey: string;
  let acceptedKeys: string;

  beforeAll(() => {
    template = synth({ source: NEW_TABLE, service: serviceOptions() });
    firehoseKey = logicalIdOf(template, 'AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ GenerateStringKey: 'api_key' }) });
    acceptedKeys = logicalIdOf(template, 'AWS::SecretsManager::Secret', { SecretString: Match.anyValue() });
  });

  it('serves HTTPS on 443 only, with the certificate and a TLS 1.2+ policy', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13-1-2'),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: '180' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
  });

  it('health-checks GET /healthz on the container port 8080', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/healthz',
      Matcher: { HttpCode: '200' },
      TargetType: 'ip',
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [Match.objectLike({ PortMappings: [Match.objectLike({ ContainerPort: 8080 })] })],
    });
  });

  it('passes ACCESS_KEY and SINK_URL from Secrets Manager, never as plain environment', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.absent(),
          Secrets: Match.arrayWith([
            { Name: 'ACCESS_KEY', ValueFrom: { Ref: acceptedKeys } },
            { Name: 'SINK_URL', ValueFrom: SINK_URL_SECRET_ARN },
          ]),
          Image: Match.objectLike({ 'Fn::Sub': Match.stringLikeRegexp('container-assets') }),
        }),
      ],
    });
    // The accepted keys start as the key Firehose sends, resolved by CloudFormation.
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: firehoseKey }, ':SecretString:api_key::}}']] },
    });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: Match.objectLike({ Url: 'https://cdc.example.com/firehose' }),
        SecretsManagerConfiguration: Match.objectLike({ SecretARN: { Ref: firehoseKey } }),
      },
    });
  });

  it('lets the task execution role read exactly those two secrets; the task role none', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>);
    const secretReads = policies.flatMap((p) =>
      (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement.filter((s) =>
        [s.Action].flat().includes('secretsmanager:GetSecretValue'),
      ).flatMap((s) => [s.Resource].flat().map((resource) => ({ roles: JSON.stringify(p.Properties.Roles), resource: JSON.stringify(resource) }))),
    );
    const execution = secretReads
      .filter((s) => s.roles.includes('ExecutionRole'))
      .map((s) => s.resource)
      .sort();
    expect(execution).toEqual([JSON.stringify(SINK_URL_SECRET_ARN), JSON.stringify({ Ref: acceptedKeys })].sort());
    expect(secretReads.filter((s) => s.roles.includes('TaskRole'))).toEqual([]);
  });

  it('points the domain at the load balancer', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'cdc.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
  });

  it('scales between 2 and 10 tasks on CPU and on requests per target', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 60 },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
        TargetValue: 600,
      },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
  });
});

describe('the service image', () => {
  it('refuses a build context without a Dockerfile, saying what to do instead', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cdc-sink-no-dockerfile-'));
    let error: unknown;
    try {
      buildStack({ source: NEW_TABLE, service: serviceOptions({ imageDirectory: empty }) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidPipelinePropsError);
    expect((error as InvalidPipelinePropsError).problems).toEqual([
      `service image: ${join(empty, 'Dockerfile')} does not exist; build from a checkout that has it, or pass a prebuilt image (-c serviceImage=<registry/image:tag>)`,
    ]);
  });

  it('uses a prebuilt image when one is given', () => {
    const stack = buildStack({
      source: NEW_TABLE,
      service: serviceOptions({ image: 'ghcr.io/example/dynamodb-cdc-sink:1.2.3', imageDirectory: '/nonexistent' }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: 'ghcr.io/example/dynamodb-cdc-sink:1.2.3' })],
    });
  });
});
