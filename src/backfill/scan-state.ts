import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

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

export type LoadResult = { ok: true; state: ScanState | null } | { ok: false; error: string };

/** Reads the state file; `null` when there is none yet. */
export async function loadScanState(path: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, state: null };
    return { ok: false, error: `${path}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `${path}: not valid JSON (${(error as Error).message})` };
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `${path}: not a backfill state file (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  const state = parsed.data;
  if (state.segments.length !== state.totalSegments) {
    return { ok: false, error: `${path}: holds ${state.segments.length} segments, expected ${state.totalSegments}` };
  }
  return { ok: true, state };
}

/**
 * Saves the state so that a crash at any moment leaves either the old or the new file, never a
 * torn one: write a temporary file, then rename it over the old (atomic on POSIX file systems).
 */
export async function saveScanState(path: string, state: ScanState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 1)}\n`);
  await rename(temporary, path);
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
