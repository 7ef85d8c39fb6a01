import { Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { CdcSinkStackProps } from '../lib/cdc-sink-stack.js';
import { buildStack, NEW_TABLE, newApp, serviceOptions } from './support/stacks.js';

/**
 * cdk-nag's AwsSolutions pack runs as a CDK validation plugin: synth throws on any finding that is
 * not acknowledged in code (each acknowledgement sits next to the resource, with its reason).
 */
function nagFindings(props: Omit<CdcSinkStackProps, 'env'>): string | undefined {
  const app = newApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  buildStack(props, app);
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('cdk-nag AwsSolutions', () => {
  it('passes the whole pipeline with the service on Fargate', () => {
    expect(nagFindings({ source: NEW_TABLE, service: serviceOptions() })).toBeUndefined();
  });

  it('passes an existing table with an external endpoint', () => {
    expect(nagFindings({ source: { existingTableName: 'orders' }, endpointUrl: 'https://cdc.example.com/firehose' })).toBeUndefined();
  });

  it('is really checking: an unacknowledged finding fails synth', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = buildStack({ source: NEW_TABLE, endpointUrl: 'https://cdc.example.com/firehose' }, app);
    // A plain bucket without SSL enforcement or access logs.
    new s3.Bucket(stack, 'Unchecked');
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});
