import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { CdcSinkStack, type CdcSinkStackProps, type ServiceOptions } from '../../lib/cdc-sink-stack.js';

/** The feature flags of cdk.json, so that tests synthesize what `cdk synth` does. */
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

export function newApp(): App {
  return new App({ context: CDK_JSON_CONTEXT });
}

export const ENV = { account: '123456789012', region: 'eu-central-1' } as const;
export const CERTIFICATE_ARN = 'arn:aws:acm:eu-central-1:123456789012:certificate/0f7b1e5c-4a6d-4c55-9b0e-2f1f3c2d1a00';
export const SINK_URL_SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:cdc-sink-url-Ab12Cd';

export const NEW_TABLE = {
  tableName: 'table-testdrive',
  partitionKey: { name: 'device', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'timestamp', type: dynamodb.AttributeType.STRING },
} as const;

/**
 * A build context holding only a Dockerfile: CDK fingerprints and stages it at synth, so the
 * tests need neither Docker nor the repository's own Dockerfile.
 */
export function imageDirectoryWithDockerfile(): string {
  if (imageDirectory === undefined) {
    imageDirectory = mkdtempSync(join(tmpdir(), 'cdc-sink-image-'));
    writeFileSync(join(imageDirectory, 'Dockerfile'), 'FROM scratch\n');
  }
  return imageDirectory;
}
let imageDirectory: string | undefined;

export function serviceOptions(overrides: Partial<ServiceOptions> = {}): ServiceOptions {
  return {
    domainName: 'cdc.example.com',
    certificateArn: CERTIFICATE_ARN,
    sinkUrlSecretArn: SINK_URL_SECRET_ARN,
    hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' },
    imageDirectory: imageDirectoryWithDockerfile(),
    ...overrides,
  };
}

export function buildStack(props: Omit<CdcSinkStackProps, 'env'>, app = newApp()): CdcSinkStack {
  return new CdcSinkStack(app, 'CdcSinkTest', { env: ENV, ...props });
}

export function synth(props: Omit<CdcSinkStackProps, 'env'>): Template {
  return Template.fromStack(buildStack(props));
}
