import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StreamChoice } from './cli-args.js';
import { DynamoDbStreamsSource, latestStreamArn } from './dynamodb-streams-source.js';
import { KinesisSource } from './kinesis-source.js';
import type { StreamSource } from './stream-source.js';

export interface AwsEndpoint {
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
}

/** The stream the command line names, through the AWS SDK (credentials from its usual chain). */
export async function openSource(choice: StreamChoice, aws: AwsEndpoint, futureMarginSeconds: number): Promise<StreamSource> {
  // The SDK's own retries are few and quick; the consumer backs off throttling itself.
  const common = { endpoint: aws.endpoint, region: aws.region, maxAttempts: 3 };
  if (choice.kind === 'kinesis-stream') {
    // The Kinesis client speaks HTTP/2 by default, which emulators on http:// do not.
    return new KinesisSource(
      new KinesisClient(aws.endpoint ? { ...common, requestHandler: new NodeHttpHandler() } : common),
      choice.stream,
      futureMarginSeconds,
    );
  }
  let arn: string;
  if (choice.kind === 'dynamodb-table') {
    const dynamodb = new DynamoDBClient(common);
    try {
      arn = await latestStreamArn(dynamodb, choice.table);
    } finally {
      dynamodb.destroy();
    }
  } else {
    arn = choice.arn;
  }
  return new DynamoDbStreamsSource(new DynamoDBStreamsClient(common), arn, futureMarginSeconds);
}
