import type { RowWrite } from '../../translate/write-batch.js';

/**
 * The version gate as CrateDB applies it in the upsert's CASE expressions, for telling applied,
 * stale and duplicate rows apart before writing (CrateDB's upsert counts 1 either way).
 * `seq` is the SequenceNumber left-padded to 40 digits ('' when absent), so that text order is
 * numeric order; event ids compare as CrateDB compares text (by UTF-16 code units, as JS does).
 */
export interface GateKey {
  readonly version: number;
  readonly seq: string;
  readonly eventId: string;
  /** A stored row's `_seq_no` and `_primary_term`, when the lookup read them. */
  readonly seen?: readonly [number, number];
}

const SEQ_DIGITS = 40;

export function paddedSeq(sequence: string | null): string {
  return sequence === null ? '' : sequence.padStart(SEQ_DIGITS, '0');
}

export function gateKeyOf(row: RowWrite): GateKey {
  return { version: row.version, seq: paddedSeq(row.sequence), eventId: row.eventId };
}

/** `SELECT pk, version, seq, event_id, _seq_no, _primary_term` rows → gate keys by pk. */
export function storedGateKeys(rows: readonly (readonly unknown[])[]): Map<string, GateKey> {
  const keys = new Map<string, GateKey>();
  for (const [pk, version, seq, eventId, seqNo, primaryTerm] of rows) {
    const seen = typeof seqNo === 'number' && typeof primaryTerm === 'number' ? ([seqNo, primaryTerm] as const) : undefined;
    keys.set(String(pk), { version: Number(version), seq: String(seq ?? ''), eventId: String(eventId), ...(seen ? { seen } : {}) });
  }
  return keys;
}

/** What writing `incoming` over `stored` does: the same order as the upsert's CASE. */
export function gateOutcome(incoming: GateKey, stored: GateKey | undefined): 'newer' | 'stale' | 'duplicate' {
  if (stored === undefined) return 'newer';
  const order = compare(incoming.version, stored.version) || compare(incoming.seq, stored.seq) || compare(incoming.eventId, stored.eventId);
  if (order > 0) return 'newer';
  return order === 0 ? 'duplicate' : 'stale';
}

function compare<T extends number | string>(a: T, b: T): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
