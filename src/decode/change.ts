/** What one DynamoDB CDC record means, whichever format it came in. Plain data, JSON-safe. */
export type EventName = 'INSERT' | 'MODIFY' | 'REMOVE';
/** `scan`: an item read by the backfill's Scan, not a stream record. */
export type SourceFormat = 'kinesis' | 'streams' | 'scan';

export interface Change {
  readonly format: SourceFormat;
  readonly sourceTable: string;
  readonly eventId: string;
  readonly eventName: EventName;
  /** A delete made by DynamoDB's TTL process, not by an application. */
  readonly ttl: boolean;
  /** ApproximateCreationDateTime in microseconds since the epoch (0 when the record has none). */
  readonly version: number;
  /** DynamoDB Streams SequenceNumber as canonical decimal digits; null for Kinesis records. */
  readonly sequence: string | null;
  /** Canonical text of the key attributes: the target row's primary key. */
  readonly pk: string;
  /** The key attributes as a JSON object text. */
  readonly keysJson: string;
  /** The item after the change, as JSON object text; null for REMOVE and for images a stream omits. */
  readonly newImageJson: string | null;
  readonly oldImageJson: string | null;
}
