import { z } from 'zod';
import { readStateFile, writeStateFile, type StateFileResult } from '../cli/state-file.js';

/**
 * What a backfill run persists after every page it has written: where each segment of the
 * parallel Scan stands. A run interrupted at any moment resumes from here; the page in flight
 * when it stopped is scanned and written again, which the version gate makes harmless.
 */
const segmentSchema = z.object({
  /** LastEvaluatedKey of the last page written, in DynamoDB JSON (binary as base64); null: from the start. */
  cursor: z.record(z.string(), z.unknown()).nullable(),
  done: z.boolean(),
  scanned: z.number().int().min(0),
});

const stateSchema = z.object({
  format: z.literal(1),
  table: z.string().min(1),
  totalSegments: z.number().int().min(1),
  /** When the run started, in microseconds: the run's version is derived from it. */
  runStartMicros: z.number().int().positive(),
  segments: z.array(segmentSchema),
});

export type SegmentState = z.infer<typeof segmentSchema>;
export type ScanState = z.infer<typeof stateSchema>;

export function newScanState(table: string, totalSegments: number, runStartMicros: number): ScanState {
  return {
    format: 1,
    table,
    totalSegments,
    runStartMicros,
    segments: Array.from({ length: totalSegments }, () => ({ cursor: null, done: false, scanned: 0 })),
  };
}

export type LoadResult = StateFileResult<ScanState>;

/** Reads the state file; `null` when there is none yet. */
export async function loadScanState(path: string): Promise<LoadResult> {
  const loaded = await readStateFile(path, stateSchema, 'backfill state file');
  const state = loaded.ok ? loaded.state : null;
  if (state && state.segments.length !== state.totalSegments) {
    return { ok: false, error: `${path}: holds ${state.segments.length} segments, expected ${state.totalSegments}` };
  }
  return loaded;
}

/** Saves the state atomically (cli/state-file.ts). */
export function saveScanState(path: string, state: ScanState): Promise<void> {
  return writeStateFile(path, state);
}

/** Serializes saves: workers finish pages concurrently, and the file must end with the newest state. */
export function stateSaver(path: string, state: ScanState): { save(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  return {
    save() {
      const next = chain.then(() => saveScanState(path, state));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
