import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, type StreamViewType } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { KeyDef } from './dynamodb-server.js';

/**
 * moto in server mode (PyPI `moto[server]`, a real implementation of the DynamoDB and DynamoDB
 * Streams APIs), as scripts/test-services.sh installs it: `$MOTO_SERVER`, else
 * `.venv-test/bin/moto_server` in the checkout. Each suite starts its own on a free loopback port
 * and stops it by its PID.
 */
const root = new URL('../../', import.meta.url).pathname;
export const motoServerPath: string | null =
  process.env.MOTO_SERVER ?? (existsSync(`${root}.venv-test/bin/moto_server`) ? `${root}.venv-test/bin/moto_server` : null);
export const motoSkipReason: string | null = motoServerPath
  ? null
  : 'moto is not installed (scripts/test-services.sh installs it into .venv-test/; or set MOTO_SERVER to a moto_server)';

export interface MotoServer {
  readonly endpoint: string;
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  close(): Promise<void>;
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startMoto(): Promise<MotoServer> {
  if (!motoServerPath) throw new Error(motoSkipReason!);
  const port = await freePort();
  const child: ChildProcess = spawn(motoServerPath, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`moto_server did not start on ${endpoint}: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const config = { endpoint, region: 'us-east-1', credentials };
  const dynamodb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  return {
    endpoint,
    dynamodb,
    streams,
    async close() {
      dynamodb.destroy();
      streams.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/** A table with a stream; returns its LatestStreamArn. */
export async function createStreamTable(
  client: DynamoDBClient,
  name: string,
  keys: readonly KeyDef[],
  view: StreamViewType = 'NEW_AND_OLD_IMAGES',
): Promise<string> {
  const answer = await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
      KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: view },
    }),
  );
  return answer.TableDescription!.LatestStreamArn!;
}
