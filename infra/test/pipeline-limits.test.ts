import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DynamoDbCdcToHttpEndpoint, type DynamoDbCdcToHttpEndpointProps } from '../lib/dynamodb-cdc-to-http-endpoint.js';
import { endpointUrlProblems, InvalidPipelinePropsError, LIMITS, resolveTuning, tuningProblems } from '../lib/pipeline-limits.js';
import { NEW_TABLE, newApp } from './support/stacks.js';

function construct(overrides: Partial<DynamoDbCdcToHttpEndpointProps>): () => DynamoDbCdcToHttpEndpoint {
  const stack = new Stack(newApp(), 'Limits');
  return () => new DynamoDbCdcToHttpEndpoint(stack, 'Pipeline', { source: NEW_TABLE, endpointUrl: 'https://cdc.example.com/firehose', ...overrides });
}

function rejection(overrides: Partial<DynamoDbCdcToHttpEndpointProps>): InvalidPipelinePropsError {
  try {
    construct(overrides)();
  } catch (error) {
    if (error instanceof InvalidPipelinePropsError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(overrides)}`);
}

describe('AWS limits of the tunables', () => {
  it('accepts both ends of every range', () => {
    for (const [name, { min, max }] of Object.entries(LIMITS)) {
      expect(tuningProblems({ [name]: min })).toEqual([]);
      expect(tuningProblems({ [name]: max })).toEqual([]);
    }
  });

  it.each([
    ['bufferSizeMiB', 0],
    ['bufferSizeMiB', 65],
    ['bufferSizeMiB', 1.5],
    ['bufferIntervalSeconds', -1],
    ['bufferIntervalSeconds', 901],
    ['retryDurationSeconds', -1],
    ['retryDurationSeconds', 7201],
    ['streamRetentionHours', 23],
    ['streamRetentionHours', 8761],
    ['bufferSizeMiB', Number.NaN],
  ])('refuses %s = %s, naming the range', (name, value) => {
    const [problem, ...rest] = tuningProblems({ [name]: value });
    expect(rest).toEqual([]);
    const { min, max } = LIMITS[name as keyof typeof LIMITS];
    expect(problem).toBe(`${name}: ${value} is not an integer from ${min} to ${max}`);
  });

  it('fills in the documented defaults', () => {
    expect(resolveTuning({ retryDurationSeconds: 0 })).toEqual({
      bufferSizeMiB: 5,
      bufferIntervalSeconds: 10,
      retryDurationSeconds: 0,
      streamRetentionHours: 24,
    });
  });

  it('takes https URLs only', () => {
    expect(endpointUrlProblems('https://cdc.example.com/firehose')).toEqual([]);
    expect(endpointUrlProblems('http://cdc.example.com/firehose')).toEqual(['endpointUrl: "http://cdc.example.com/firehose" must use https://']);
    expect(endpointUrlProblems('cdc.example.com/firehose')).toEqual(['endpointUrl: "cdc.example.com/firehose" is not a URL']);
    expect(endpointUrlProblems('https://user:pw@cdc.example.com/')).toHaveLength(1);
    expect(endpointUrlProblems(`https://cdc.example.com/${'a'.repeat(1000)}`)).toHaveLength(1);
  });
});

describe('DynamoDbCdcToHttpEndpoint refuses props AWS would refuse', () => {
  it('reports every problem at once, with a stable code', () => {
    const error = rejection({ bufferSizeMiB: 65, bufferIntervalSeconds: 901, retryDurationSeconds: 7201, endpointUrl: 'http://cdc.example.com/firehose' });
    expect(error.code).toBe('INVALID_PIPELINE_PROPS');
    expect(error.problems).toEqual([
      'bufferSizeMiB: 65 is not an integer from 1 to 64',
      'bufferIntervalSeconds: 901 is not an integer from 0 to 900',
      'retryDurationSeconds: 7201 is not an integer from 0 to 7200',
      'endpointUrl: "http://cdc.example.com/firehose" must use https://',
    ]);
    expect(error.message).toContain('bufferSizeMiB: 65');
  });

  it('refuses a zero buffer size and a non-positive alarm threshold', () => {
    expect(rejection({ bufferSizeMiB: 0 }).problems).toEqual(['bufferSizeMiB: 0 is not an integer from 1 to 64']);
    expect(rejection({ alarmThresholds: { dataFreshnessSeconds: 0 } }).problems).toEqual(['alarmThresholds.dataFreshnessSeconds: 0 is not a positive number']);
  });

  it('accepts the extremes AWS allows', () => {
    expect(construct({ bufferSizeMiB: 64, bufferIntervalSeconds: 0, retryDurationSeconds: 7200 })).not.toThrow();
  });
});
