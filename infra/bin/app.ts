import { App } from 'aws-cdk-lib';
import { readAppSettings } from '../lib/app-context.js';
import { CdcSinkStack } from '../lib/cdc-sink-stack.js';
import { InvalidPipelinePropsError } from '../lib/pipeline-limits.js';

// The CDK app: settings come from context (-c key=value or cdk.json); see README, Deploy.
const app = new App();
const result = readAppSettings((key) => app.node.tryGetContext(key), process.env);
if (!result.ok) {
  console.error(`infra: invalid context:\n  ${result.problems.join('\n  ')}`);
  process.exit(1);
}
try {
  new CdcSinkStack(app, result.settings.stackName, result.settings.props);
} catch (error) {
  // Prop problems are the user's to fix: say what, without a stack trace.
  if (!(error instanceof InvalidPipelinePropsError)) throw error;
  console.error(`infra: ${error.message}`);
  process.exit(1);
}
