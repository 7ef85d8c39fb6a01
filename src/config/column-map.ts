import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OWN_COLUMNS } from '../sink/sql/state-columns.js';

/**
 * COLUMN_MAP: typed columns computed from item attributes, per target table. One file, YAML or
 * JSON (JSON is YAML), validated at start with every problem reported at once:
 *
 *   table_testdrive:
 *     device:       { path: device, type: text }
 *     reading_time: { path: timestamp, type: timestamp, from: iso8601 }
 *     temperature:  { path: temperature, type: double }
 *     first_tag:    { path: "tags[0]", type: text }
 *     city:         { path: [address, "post.city"], type: text }
 *
 * A path is a string of attribute names joined by `.` with `[n]` for list elements, or a list of
 * segments (names and indexes) for names that hold `.` or `[`.
 */

export const COLUMN_TYPES = ['text', 'bigint', 'numeric', 'double', 'boolean', 'timestamp', 'json', 'object'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** How a timestamp column reads its attribute. */
export const TIMESTAMP_SOURCES = ['iso8601', 'epoch_seconds', 'epoch_millis', 'epoch_micros'] as const;
export type TimestampSource = (typeof TIMESTAMP_SOURCES)[number];

export type PathSegment = string | number;

export interface ColumnSpec {
  readonly name: string;
  readonly path: readonly PathSegment[];
  readonly type: ColumnType;
  /** Timestamp columns only. */
  readonly from: TimestampSource | null;
}

/** Target table → its typed columns, in the file's order. */
export type ColumnMap = ReadonlyMap<string, readonly ColumnSpec[]>;

// Lower-case SQL identifiers, so that every database spells them alike without quoting surprises.
const COLUMN_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const INDEX = /^\[(\d+)\]/;

const columnSchema = z
  .object({
    path: z.union([z.string().min(1), z.array(z.union([z.string().min(1), z.number().int().min(0)])).min(1)]),
    type: z.enum(COLUMN_TYPES),
    from: z.enum(TIMESTAMP_SOURCES).optional(),
  })
  .strict();

export type ColumnMapResult = { ok: true; map: ColumnMap } | { ok: false; problems: string[] };

/** The file's text → the column map, or every problem found, each naming where it is. */
export function parseColumnMap(text: string, file: string): ColumnMapResult {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    return { ok: false, problems: [`${file}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`] };
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return { ok: false, problems: [`${file}: expected a map of target tables to their columns`] };
  }
  const problems: string[] = [];
  const map = new Map<string, ColumnSpec[]>();
  for (const [table, columns] of Object.entries(document as Record<string, unknown>)) {
    const where = `${file}: ${table}`;
    if (columns === null || typeof columns !== 'object' || Array.isArray(columns)) {
      problems.push(`${where}: expected a map of column names to {path, type}`);
      continue;
    }
    const specs: ColumnSpec[] = [];
    for (const [name, raw] of Object.entries(columns as Record<string, unknown>)) {
      const at = `${where}.${name}`;
      if (!COLUMN_NAME.test(name)) problems.push(`${at}: a column name is lower-case letters, digits and _, starting with a letter or _ (at most 63)`);
      else if (OWN_COLUMNS.has(name)) problems.push(`${at}: the sinks use this column name themselves`);
      const parsed = columnSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push(`${at}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${describeIssue(issue)}`);
        continue;
      }
      const { path, type, from } = parsed.data;
      const segments = typeof path === 'string' ? parsePath(path) : path;
      if (segments === null) {
        problems.push(
          `${at}.path: "${path as string}" is not a path (names joined by ".", [n] for list elements; a list of segments for names holding "." or "[")`,
        );
        continue;
      }
      if (type === 'timestamp' && from === undefined) problems.push(`${at}.from: a timestamp column says what it reads: ${TIMESTAMP_SOURCES.join(', ')}`);
      if (type !== 'timestamp' && from !== undefined) problems.push(`${at}.from: only timestamp columns read "from"`);
      specs.push({ name, path: segments, type, from: from ?? null });
    }
    map.set(table, specs);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, map };
}

/** `a.b[0].c` → ['a', 'b', 0, 'c']; null when it is not one. */
export function parsePath(text: string): PathSegment[] | null {
  const segments: PathSegment[] = [];
  let rest = text;
  let expectName = true;
  while (rest.length > 0) {
    const index = INDEX.exec(rest);
    if (index) {
      if (segments.length === 0) return null;
      segments.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      expectName = false;
      continue;
    }
    if (!expectName) {
      if (!rest.startsWith('.')) return null;
      rest = rest.slice(1);
    }
    const name = /^[^.[\]]+/.exec(rest);
    if (!name) return null;
    segments.push(name[0]);
    rest = rest.slice(name[0].length);
    expectName = false;
  }
  return segments.length > 0 ? segments : null;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path[0];
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')} (a column has path, type and, for timestamps, from)`;
  if (field === undefined) return 'expected {path, type}';
  if (field === 'type') return `one of ${COLUMN_TYPES.join(', ')}`;
  if (field === 'from') return `one of ${TIMESTAMP_SOURCES.join(', ')}`;
  return 'an attribute path: a string such as "a.b[0]", or a list of names and indexes';
}
