import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';

/** The commands' cursor files (backfill, rematerialize): what a run saved, to resume from. */
export type StateFileResult<T> = { ok: true; state: T | null } | { ok: false; error: string };

/** Reads and checks a cursor file; `null` when there is none yet. `what` names it in errors. */
export async function readStateFile<T>(path: string, schema: z.ZodType<T>, what: string): Promise<StateFileResult<T>> {
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
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `${path}: not a ${what} (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  return { ok: true, state: parsed.data };
}

/**
 * Saves the state so that a crash at any moment leaves either the old or the new file, never a
 * torn one: write a temporary file, then rename it over the old (atomic on POSIX file systems).
 */
export async function writeStateFile(path: string, state: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 1)}\n`);
  await rename(temporary, path);
}
