import { isPlainObject } from './attribute-value.js';

/** One entry of a POST /records body: a parsed value, or a line that is not JSON. */
export type RecordEntry =
  | { readonly ok: true; readonly value: unknown; readonly path: string }
  | { readonly ok: false; readonly error: string; readonly payload: string };

export type RecordsBodyResult = { ok: true; entries: RecordEntry[] } | { ok: false; error: string };

/**
 * POST /records accepts a JSON array (EventBridge Pipes), `{"Records": [...]}` (Lambda / DynamoDB
 * Streams), a single record, or NDJSON (one record per line; a bad line is a bad record).
 */
export function parseRecordsBody(text: string): RecordsBodyResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.includes('\n') ? { ok: true, entries: ndjsonEntries(text) } : { ok: false, error: 'body is neither JSON nor NDJSON' };
  }
  if (Array.isArray(parsed)) return { ok: true, entries: parsed.map((value, i) => ({ ok: true, value, path: `records[${i}]` })) };
  if (isPlainObject(parsed) && 'Records' in parsed) {
    const records = parsed.Records;
    if (!Array.isArray(records)) return { ok: false, error: 'Records: not an array' };
    return { ok: true, entries: records.map((value, i) => ({ ok: true, value, path: `Records[${i}]` })) };
  }
  if (isPlainObject(parsed)) return { ok: true, entries: [{ ok: true, value: parsed, path: 'record' }] };
  return { ok: false, error: 'body must be a JSON array, an object with "Records", a single record, or NDJSON' };
}

function ndjsonEntries(text: string): RecordEntry[] {
  const entries: RecordEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0) continue;
    try {
      entries.push({ ok: true, value: JSON.parse(line) as unknown, path: `line ${i + 1}` });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      entries.push({ ok: false, error: `line ${i + 1}: not valid JSON (${detail})`, payload: line });
    }
  }
  return entries;
}
