// The local trial of README ("Try the consumer without AWS"): against a DynamoDB-compatible
// endpoint (moto), creates a table `devices` with a stream (NEW_AND_OLD_IMAGES) if it is missing,
// then writes: two inserts, an update and a delete. Run it again to write more.
// Usage: node examples/local-table.mjs [endpoint]   (default http://127.0.0.1:5005)
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, PutItemCommand, ResourceInUseException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

const endpoint = process.argv[2] ?? 'http://127.0.0.1:5005';
const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const TableName = 'devices';
try {
  await client.send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'device', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'device', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  console.log(`created table ${TableName} with a stream`);
} catch (error) {
  if (!(error instanceof ResourceInUseException)) throw error;
}
const run = Date.now();
await client.send(new PutItemCommand({ TableName, Item: { device: { S: 'foo' }, temperature: { N: '21.5' }, run: { N: String(run) } } }));
await client.send(new PutItemCommand({ TableName, Item: { device: { S: 'bar' }, temperature: { N: '12345678901234567890.123456789' } } }));
await client.send(new UpdateItemCommand({ TableName, Key: { device: { S: 'foo' } }, UpdateExpression: 'SET humidity = :h', ExpressionAttributeValues: { ':h': { N: '84.84' } } }));
await client.send(new DeleteItemCommand({ TableName, Key: { device: { S: 'bar' } } }));
console.log('wrote: INSERT foo, INSERT bar, MODIFY foo (humidity), REMOVE bar');
client.destroy();
