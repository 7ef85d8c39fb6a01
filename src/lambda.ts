import { createLambdaHandler, type BatchResponse } from './lambda/lambda-handler.js';
import { boot, openSink } from './pipeline/bootstrap.js';
import { targetTables } from './pipeline/target-tables.js';

// The Lambda entry point (handler `lambda.handler`): Kinesis event source mappings on the
// table's Kinesis data stream, or DynamoDB Streams event sources. Configured by the same
// environment variables as the service. The sink is built on the first invocation and kept
// for the life of the execution environment.
type Handle = ReturnType<typeof createLambdaHandler>;
let ready: Promise<Handle> | undefined;

export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<BatchResponse> {
  ready ??= init().catch((error: unknown) => {
    ready = undefined; // a failed start is tried again on the next invocation
    throw error;
  });
  return (await ready)(event, context);
}

async function init(): Promise<Handle> {
  const booted = boot(process.env);
  if (!booted.ok) throw new Error(`invalid configuration: ${booted.problems.join('; ')}`);
  const { config, log } = booted;
  if (config.sink.url === undefined && process.env.AWS_LAMBDA_FUNCTION_NAME) {
    log.warn({ pgliteDir: config.sink.pgliteDir }, 'no SINK_URL: writing to an embedded database inside this Lambda instance, lost when it is recycled');
  }
  const opened = await openSink(config, log);
  if (!opened.ok) throw opened.error;
  const { sink } = opened;
  return createLambdaHandler({
    sink,
    log,
    targets: targetTables(config, sink),
    changeLog: config.sink.changeLog,
    futureChangeMarginSeconds: config.futureChangeMarginSeconds,
  });
}
