import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

const MANUAL_ROTATION =
  'Rotated by hand with overlapping keys (README, Deploy): a rotation Lambda would change the key Firehose sends before the service accepts it.';

/**
 * The key Firehose sends in X-Amz-Firehose-Access-Key. Firehose reads it from the secret's
 * "api_key" field (Firehose developer guide, "Authenticate with AWS Secrets Manager").
 */
export function createFirehoseKeySecret(scope: Construct, id: string): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: 'Key Firehose sends to the CDC sink (X-Amz-Firehose-Access-Key); JSON {"api_key": "..."}',
    generateSecretString: {
      secretStringTemplate: '{}',
      generateStringKey: 'api_key',
      passwordLength: 48,
      // Letters and digits only: the service splits its accepted keys on commas.
      excludePunctuation: true,
    },
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: MANUAL_ROTATION });
  return secret;
}

/**
 * The keys the service accepts (its ACCESS_KEY, comma-separated), in a secret of its own so that
 * during a rotation it can hold "old,new" while Firehose still sends the old key. It starts out
 * as the key Firehose sends: CloudFormation resolves the reference, the template never holds it.
 */
export function createAcceptedKeysSecret(scope: Construct, id: string, firehoseKey: secretsmanager.ISecret): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: 'ACCESS_KEY of the CDC sink service: the accepted keys, comma-separated',
    secretStringValue: firehoseKey.secretValueFromJson('api_key'),
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: MANUAL_ROTATION });
  return secret;
}
