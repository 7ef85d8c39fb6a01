import { createHash } from 'node:crypto';
import { isPlainObject, itemToJson } from './attribute-value.js';
import { canonicalKey } from './canonical-key.js';
import type { Change } from './change.js';
import { DecodeError } from './decode-error.js';

/** What a scanned item does not say about itself: where it came from and which change it stands for. */
export interface ScanMeta {
  readonly table: string;
  /** The table's key attribute names (KeySchema), partition key first. */
  readonly keyNames: readonly string[];
  /** The version every item of this backfill run is written at (see src/backfill/backfill-version.ts). */
  readonly version: number;
  /** Names the run; each item's eventID is derived from it and the item's key. */
  readonly runId: string;
}

/**
 * One item of a Scan page (DynamoDB JSON with binary as single base64, as the wire carries it) →
 * a Change that writes the item as it was read. Throws DecodeError naming the field.
 */
export function decodeScannedItem(item: unknown, meta: ScanMeta, path: string): Change {
  if (!isPlainObject(item)) throw new DecodeError(path, 'not a DynamoDB item');
  const keys: Record<string, unknown> = {};
  for (const name of meta.keyNames) {
    if (!Object.hasOwn(item, name)) throw new DecodeError(`${path}[${JSON.stringify(name)}]`, 'key attribute missing from the item');
    keys[name] = item[name];
  }
  const key = canonicalKey(keys, 'base64', path);
  return {
    format: 'scan',
    sourceTable: meta.table,
    // Deterministic per run and key: the same page written twice (a resumed run) is a duplicate,
    // and each item still has its own eventID in the change log.
    eventId: `${meta.runId}:${createHash('sha256').update(key.pk).digest('hex').slice(0, 32)}`,
    eventName: 'INSERT',
    ttl: false,
    version: meta.version,
    sequence: null,
    pk: key.pk,
    keysJson: key.keysJson,
    newImageJson: itemToJson(item, 'base64', path),
    oldImageJson: null,
  };
}
