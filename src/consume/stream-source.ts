import type { DecodedRecord } from '../decode/decode-record.js';

/**
 * What the consumer needs from a stream, DynamoDB Streams or Kinesis alike: the shards, an
 * iterator at a position, and pages of records already decoded into changes. Adapters translate
 * the SDK's answers and errors into these, so the consumer knows nothing of either API.
 */
export interface ShardInfo {
  readonly shardId: string;
  /** Parents (a split has one, a Kinesis merge two): read only once they are finished. */
  readonly parents: readonly string[];
  /** The shard is closed (it has an ending sequence number): reading it comes to an end. */
  readonly closed: boolean;
}

export interface StreamDescription {
  /** `active`; `disabled`: no new records, the open shards close; `gone`: the stream or table no longer exists. */
  readonly status: 'active' | 'disabled' | 'gone';
  readonly shards: readonly ShardInfo[];
  /** How long records are kept: a checkpoint older than this may have lost records. */
  readonly retentionMs: number;
}

export type StartPosition = { readonly kind: 'trim-horizon' } | { readonly kind: 'latest' } | { readonly kind: 'at-time'; readonly time: Date };
export type Position = StartPosition | { readonly kind: 'after'; readonly sequence: string };

export interface SourceRecord {
  readonly sequence: string;
  /** null: a Kinesis record with no data, nothing to apply. */
  readonly decoded: DecodedRecord | null;
  /** When the record entered the stream (Kinesis arrival, DynamoDB change time), ms. */
  readonly arrivedAtMs: number;
}

export interface RecordPage {
  readonly records: readonly SourceRecord[];
  /** null: the shard is closed and read to its end. */
  readonly next: string | null;
  /** Kinesis's MillisBehindLatest; null where the API does not tell (DynamoDB Streams). */
  readonly millisBehind: number | null;
}

/**
 * The errors the APIs document, by what the consumer does about them:
 * `expired` get a new iterator from the checkpoint; `throttled` back off; `trimmed` the records
 * at the position are gone (stop the shard); `gone` the stream or table was deleted; `other`
 * anything else (retried with backoff).
 */
export type SourceErrorKind = 'expired' | 'throttled' | 'trimmed' | 'gone' | 'other';

export class StreamSourceError extends Error {
  readonly code = 'STREAM_SOURCE';
  constructor(
    readonly kind: SourceErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StreamSourceError';
  }
}

export interface StreamSource {
  /** `dynamodb-streams` or `kinesis`. */
  readonly kind: string;
  /** The stream ARN: the checkpoints' key. */
  readonly streamId: string;
  /** A short name for metrics and logs: the table (DynamoDB Streams) or the stream name (Kinesis). */
  readonly label: string;
  describe(): Promise<StreamDescription>;
  iterator(shardId: string, position: Position): Promise<string>;
  read(iterator: string, limit: number): Promise<RecordPage>;
  close(): void;
}

/** The AWS SDK v3 error name → what the consumer does (the names AWS documents for both APIs). */
export function sourceError(error: unknown, what: string): StreamSourceError {
  const name = error instanceof Error ? error.name : '';
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  const kind: SourceErrorKind =
    name === 'ExpiredIteratorException'
      ? 'expired'
      : name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException' || name === 'ThrottlingException'
        ? 'throttled'
        : name === 'TrimmedDataAccessException'
          ? 'trimmed'
          : name === 'ResourceNotFoundException'
            ? 'gone'
            : 'other';
  return new StreamSourceError(kind, message, { cause: error });
}

/** One API call, its failure named by `what` and classified. */
export async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw error instanceof StreamSourceError ? error : sourceError(error, what);
  }
}
