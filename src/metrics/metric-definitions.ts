/**
 * Every metric the service exports, in one table: name, help, labels, buckets. Labels take values
 * from fixed sets only (endpoint, status, operation, outcome, kind) or from table names, which
 * configuration and DynamoDB bound; never request ids or raw paths.
 */

import { RECORD_OUTCOMES } from '../outcome/outcomes.js';

type Kind = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition<K extends Kind = Kind, L extends string = string> {
  readonly kind: K;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets?: readonly number[];
  /** Label sets exported as 0 from the start, so that rate() and alerts see them before the first event. */
  readonly initial?: readonly Readonly<Record<L, string>>[];
}

const counter = <L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  initial: readonly Record<L, string>[] = [],
): MetricDefinition<'counter', L> => ({ kind: 'counter', name, help, labelNames, initial });
const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): MetricDefinition<'gauge', L> => ({
  kind: 'gauge',
  name,
  help,
  labelNames,
});
const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): MetricDefinition<'histogram', L> => ({
  kind: 'histogram',
  name,
  help,
  labelNames,
  buckets,
});

/** Firehose gives up after 180 s; a delivery deadline is at most 170 s. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90, 120, 180];
/** Firehose buffers 1–64 MiB; MAX_BODY_BYTES goes up to 2 GiB. */
const BYTE_BUCKETS = [1024, 16 * 1024, 256 * 1024, 1024 ** 2, 4 * 1024 ** 2, 16 * 1024 ** 2, 64 * 1024 ** 2, 256 * 1024 ** 2];
/** Firehose sends at most 10,000 records per request. */
const RECORD_BUCKETS = [0, 1, 10, 100, 500, 1000, 2500, 5000, 10_000, 50_000];
/** From "just now" to "a day behind" (a replay, or a Firehose backlog). */
const LAG_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600];

/**
 * The `operation` label takes OPERATIONS (outcome/outcomes.ts), or '' (no label) where the
 * operation is not known: undecodable records. The `outcome` label takes a record's outcome.
 */
export const OUTCOMES = RECORD_OUTCOMES;
export type Outcome = (typeof OUTCOMES)[number];
export const ENDPOINTS = ['firehose', 'records'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const METRIC_DEFINITIONS = {
  deliveries: counter('cdc_deliveries_total', 'Deliveries answered, by endpoint and HTTP status (200 is the only success Firehose knows).', [
    'endpoint',
    'status',
  ]),
  rejections: counter(
    'cdc_deliveries_rejected_total',
    'Deliveries answered 503 without being read: too many in flight (overloaded) or shutting down.',
    ['endpoint', 'reason'],
    ENDPOINTS.flatMap((endpoint) => ['overloaded', 'shutting_down'].map((reason) => ({ endpoint, reason }))),
  ),
  deliveryDuration: histogram('cdc_delivery_duration_seconds', 'Time from a delivery arriving to its answer.', ['endpoint'], DURATION_BUCKETS),
  deliveryBytes: histogram('cdc_delivery_size_bytes', 'Delivery body size as received (compressed when gzip).', ['endpoint'], BYTE_BUCKETS),
  deliveryRecords: histogram('cdc_delivery_records', 'Records per delivery.', ['endpoint'], RECORD_BUCKETS),
  inFlight: gauge('cdc_deliveries_in_flight', 'Deliveries being processed now, including writes that outlived their deadline.', []),
  records: counter(
    'cdc_records_total',
    'Records by target table, operation and outcome. Every record is counted once as applied, stale, duplicate or ' +
      'dead_lettered (without table and operation when it could not be decoded), so the series add up to the records ' +
      'received. Values kept aside are counted by cdc_values_diverted_total.',
    ['table', 'operation', 'outcome'],
  ),
  valuesDiverted: counter(
    'cdc_values_diverted_total',
    'Values the database could not store where the item has them, kept exactly aside instead (CrateDB: in aux), ' +
      'by target table and reason (invalid_key, number_precision, type_conflict, mixed_array, nested_array, empty_array, column_limit, refused).',
    ['table', 'reason'],
  ),
  sinkWriteDuration: histogram('cdc_sink_write_duration_seconds', 'Time to write one delivery to the database.', [], DURATION_BUCKETS),
  sinkErrors: counter(
    'cdc_sink_errors_total',
    'Database writes that failed: retryable (answered 503, Firehose retries) or permanent (answered 500).',
    ['kind'],
    [{ kind: 'retryable' }, { kind: 'permanent' }],
  ),
  replicationLag: histogram(
    'cdc_replication_lag_seconds',
    'Now minus the change time (ApproximateCreationDateTime) of each change applied, per target table.',
    ['table'],
    LAG_BUCKETS,
  ),
  newestChange: gauge(
    'cdc_newest_applied_change_timestamp_seconds',
    'Change time (ApproximateCreationDateTime, Unix seconds) of the newest change applied per target table.',
    ['table'],
  ),
  consumerRecords: counter(
    'cdc_consumer_records_total',
    'Stream consumer (npm run consume): records read and written, per stream (table or Kinesis stream name) and shard.',
    ['stream', 'shard'],
  ),
  consumerBatches: counter(
    'cdc_consumer_batches_total',
    'Stream consumer: batches (GetRecords pages with records) written and checkpointed, per stream and shard.',
    ['stream', 'shard'],
  ),
  consumerIteratorAge: gauge(
    'cdc_consumer_iterator_age_seconds',
    'Stream consumer: how far a shard is behind: Kinesis MillisBehindLatest; DynamoDB Streams: now minus the change time of the last record read (0 when a read found nothing new).',
    ['stream', 'shard'],
  ),
  consumerCheckpointLag: gauge(
    'cdc_consumer_checkpoint_lag_seconds',
    "Stream consumer: seconds since the shard's checkpoint was last written (after every batch, and once a minute when idle): grows when writes stall.",
    ['stream', 'shard'],
  ),
  consumerLeases: gauge(
    'cdc_consumer_leases_held',
    "Stream consumer: 1 while this process holds the stream's lease (only the holder reads and writes), else 0.",
    ['stream'],
  ),
  consumerShards: gauge(
    'cdc_consumer_shards',
    'Stream consumer: shards by state: reading, waiting (for their parents to finish), finished, trimmed (its checkpoint is older than the stream keeps records: stopped, see README).',
    ['stream', 'state'],
  ),
  consumerSourceErrors: counter(
    'cdc_consumer_source_errors_total',
    'Stream consumer: stream API errors by kind: expired (iterator renewed from the checkpoint), throttled (backed off), trimmed, other (retried).',
    ['stream', 'kind'],
  ),
} as const;

export type MetricKey = keyof typeof METRIC_DEFINITIONS;
