import { Token } from 'aws-cdk-lib';

/**
 * The tunables of the pipeline and the ranges AWS accepts for them. CDK itself only checks the
 * Firehose buffer size against 128 MiB, so a value AWS refuses would otherwise surface only as a
 * failed deployment.
 *
 * Firehose HTTP endpoint destination: HttpEndpointBufferingHints (SizeInMBs 1–64,
 * IntervalInSeconds 0–900) and HttpEndpointRetryOptions (DurationInSeconds 0–7200),
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_HttpEndpointBufferingHints.html
 * Kinesis data stream retention: 24–8760 hours,
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_IncreaseStreamRetentionPeriod.html
 */
export const LIMITS = {
  bufferSizeMiB: { min: 1, max: 64, default: 5 },
  bufferIntervalSeconds: { min: 0, max: 900, default: 10 },
  retryDurationSeconds: { min: 0, max: 7200, default: 3600 },
  streamRetentionHours: { min: 24, max: 8760, default: 24 },
} as const;

export type Tunable = keyof typeof LIMITS;

export type DeliveryTuning = { readonly [K in Tunable]?: number };

export type ResolvedTuning = { readonly [K in Tunable]: number };

/** Thrown by the constructs for props AWS would refuse; lists every problem at once. */
export class InvalidPipelinePropsError extends Error {
  readonly code = 'INVALID_PIPELINE_PROPS';
  constructor(
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid pipeline props:\n  ${problems.join('\n  ')}`, options);
    this.name = 'InvalidPipelinePropsError';
  }
}

/** Every out-of-range or non-integer tunable, named with its allowed range. */
export function tuningProblems(tuning: DeliveryTuning): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(LIMITS) as Tunable[]) {
    const value = tuning[name];
    if (value === undefined) continue;
    const { min, max } = LIMITS[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}: ${value} is not an integer from ${min} to ${max}`);
    }
  }
  return problems;
}

export function resolveTuning(tuning: DeliveryTuning): ResolvedTuning {
  return {
    bufferSizeMiB: tuning.bufferSizeMiB ?? LIMITS.bufferSizeMiB.default,
    bufferIntervalSeconds: tuning.bufferIntervalSeconds ?? LIMITS.bufferIntervalSeconds.default,
    retryDurationSeconds: tuning.retryDurationSeconds ?? LIMITS.retryDurationSeconds.default,
    streamRetentionHours: tuning.streamRetentionHours ?? LIMITS.streamRetentionHours.default,
  };
}

/**
 * Firehose delivers to HTTPS endpoints only (and AWS rejects other schemes at deploy time). A
 * token (a URL built from resources of the same app) is checked by CloudFormation instead.
 */
export function endpointUrlProblems(url: string): string[] {
  if (Token.isUnresolved(url)) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [`endpointUrl: ${JSON.stringify(url)} is not a URL`];
  }
  if (url.length > 1000) return ['endpointUrl: longer than the 1000 characters Firehose accepts'];
  if (parsed.protocol !== 'https:') return [`endpointUrl: ${JSON.stringify(url)} must use https://`];
  if (parsed.username || parsed.password) return ['endpointUrl: must not carry credentials (the access key is sent in a header)'];
  return [];
}
