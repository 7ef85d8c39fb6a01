import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseColumnMap, type ColumnMap, type ColumnMapResult } from './column-map.js';
import { internalTables, nameFamily, parseTableMap } from '../translate/target-name.js';
import { DEFAULT_FUTURE_MARGIN_SECONDS } from '../decode/change-bounds.js';
import { crateDbUrlProblem, isCrateDbUrl } from '../sink/cratedb/cratedb-url.js';

const MiB = 1024 * 1024;

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A schema or table the service creates: lower-case letters, digits and _, at most 63 (PostgreSQL's limit). */
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const identifier = z.string().regex(IDENTIFIER, 'lower-case letters, digits and _, at most 63');

/**
 * Every environment variable the service reads, with its default. README's configuration table
 * is checked against this list by a test.
 */
export const envSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  ACCESS_KEY: z.string().optional(),
  ALLOW_UNAUTHENTICATED: bool.default(false),
  SINK_URL: z
    .string()
    .regex(/^(postgres(ql)?|crate|https?):\/\//i, 'must start with postgres://, postgresql://, crate://, http:// or https://')
    .refine((url) => URL.canParse(url), 'is not a valid URL (percent-encode special characters in the password)')
    .superRefine((url, ctx) => {
      const problem = URL.canParse(url) && isCrateDbUrl(url) ? crateDbUrlProblem(url) : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  PGLITE_DIR: z.string().min(1).default('./data/pglite'),
  EMBEDDED_SQL_PORT: int(0, 65535).optional(),
  EMBEDDED_SQL_HOST: z.string().min(1).default('127.0.0.1'),
  TARGET_SCHEMA: identifier.optional(),
  TABLE_MAP: z.string().optional(),
  COLUMN_MAP: z.string().optional(),
  CHANGE_LOG: bool.default(false),
  DEAD_LETTER_TABLE: identifier.default('cdc_dead_letters'),
  TOMBSTONE_RETENTION_HOURS: int(0, 100 * 365 * 24).default(0),
  TOMBSTONE_PURGE_INTERVAL_SECONDS: int(10, 7 * 24 * 3600).default(3600),
  MAX_BODY_BYTES: int(65 * MiB, 2048 * MiB).default(256 * MiB),
  MAX_DECOMPRESSED_BYTES: int(65 * MiB, 2048 * MiB).default(512 * MiB),
  DELIVERY_TIMEOUT_SECONDS: int(1, 170).default(90),
  SINK_POOL_SIZE: int(1, 200).default(10),
  SINK_CONNECT_TIMEOUT_MS: int(100, 120_000).default(10_000),
  SINK_MAX_ROWS_PER_STATEMENT: int(1, 100_000).default(10_000),
  SINK_MAX_BYTES_PER_STATEMENT: int(1024, 512 * MiB).default(4 * MiB),
  SINK_REQUEST_TIMEOUT_MS: int(100, 170_000).default(60_000),
  CRATEDB_SHARDS: int(1, 1000).optional(),
  CRATEDB_REPLICAS: z
    .string()
    .regex(/^(\d+|\d+-(\d+|all))$/, 'a number or a range such as 0-1')
    .optional(),
  CRATEDB_MAX_DATA_COLUMNS: int(10, 100_000).default(900),
  LAYOUT: z.enum(['cratedb', 'commons-codec']).default('cratedb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_CONCURRENT_DELIVERIES: int(1, 1000).default(4),
  SHUTDOWN_TIMEOUT_SECONDS: int(1, 600).default(25),
  MAX_PROCESSING_BYTES: int(1 * MiB, 8192 * MiB).default(64 * MiB),
  FUTURE_CHANGE_MARGIN_SECONDS: int(1, 10 * 365 * 24 * 3600).default(DEFAULT_FUTURE_MARGIN_SECONDS),
  DECODE_WORKERS: z.union([z.literal('auto'), int(0, 64)]).default(0),
});

export interface SinkConfig {
  /** Unset: the embedded database. */
  readonly url: string | undefined;
  readonly pgliteDir: string;
  /** Serve the embedded database over the PostgreSQL wire protocol here; null: not at all. */
  readonly embeddedSql: { readonly port: number; readonly host: string } | null;
  /** Unset: `public` in PostgreSQL, the URL's `schema` parameter or `doc` in CrateDB. */
  readonly schema: string | undefined;
  readonly deadLetterTable: string;
  readonly changeLog: boolean;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly maxRowsPerStatement: number;
  readonly maxBytesPerStatement: number;
  readonly requestTimeoutMs: number;
  readonly crateDb: {
    readonly shards: number | null;
    readonly replicas: string | null;
    readonly maxDataColumns: number;
    /** `commons-codec`: tables as cratedb-toolkit's DynamoDB CDC translator writes them (README, "CrateDB"). */
    readonly layout: 'cratedb' | 'commons-codec';
  };
}

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Empty: writes are refused, unless `allowUnauthenticated`. */
  readonly accessKeys: readonly string[];
  readonly allowUnauthenticated: boolean;
  readonly tableMap: ReadonlyMap<string, string>;
  /** COLUMN_MAP: typed columns per target table; empty without the variable. */
  readonly columnMap: ColumnMap;
  readonly sink: SinkConfig;
  readonly tombstoneRetentionHours: number;
  readonly tombstonePurgeIntervalSeconds: number;
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  readonly deliveryTimeoutMs: number;
  readonly logLevel: string;
  /** Deliveries processed at once; one more is answered 503 at once. */
  readonly maxConcurrentDeliveries: number;
  /** How long SIGTERM waits for in-flight deliveries before cutting them off (answered 503). */
  readonly shutdownTimeoutMs: number;
  /** Inflated body bytes parsed, decoded and written at once (a larger body runs alone). */
  readonly maxProcessingBytes: number;
  /** A change dated more than this past the service's clock is dead-lettered, never applied. */
  readonly futureChangeMarginSeconds: number;
  /** Worker threads that decode Firehose bodies; 0: the main thread decodes them. */
  readonly decodeWorkers: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export interface LoadOptions {
  /** Cores available (DECODE_WORKERS=auto); the machine's when not given. */
  readonly cores?: number;
  /** Reads the COLUMN_MAP file; the file system when not given. */
  readonly readText?: (path: string) => string;
}

/** Reads the environment once (and the COLUMN_MAP file it names); reports every problem at once. */
export function loadConfig(
  env: Record<string, string | undefined>,
  { cores, readText = (path) => readFileSync(path, 'utf8') }: LoadOptions = {},
): ConfigResult {
  // An empty variable means "not set", as in most deployment tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${describeIssue(issue)}`);
  let tableMap = new Map<string, string>();
  try {
    tableMap = parseTableMap(present.TABLE_MAP ?? '');
  } catch (error) {
    problems.push(`TABLE_MAP: ${(error as Error).message}`);
  }
  problems.push(...internalTargets(tableMap, parsed.success ? parsed.data.DEAD_LETTER_TABLE : 'cdc_dead_letters'));
  let columnMap: ColumnMap = new Map();
  if (present.COLUMN_MAP !== undefined) {
    const read = readColumnMap(present.COLUMN_MAP, readText);
    if (read.ok) columnMap = read.map;
    else problems.push(...read.problems.map((p) => `COLUMN_MAP: ${p}`));
  }
  const accessKeys = (present.ACCESS_KEY ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (accessKeys.some((key) => Buffer.byteLength(key) > 4096)) problems.push('ACCESS_KEY: each key is at most 4096 bytes');
  // Set, yet no key in it: a mistake, never "no key" (which refuses every write, or with ALLOW_UNAUTHENTICATED accepts them).
  if (present.ACCESS_KEY !== undefined && accessKeys.length === 0) problems.push('ACCESS_KEY: holds no key, only commas and spaces');
  if (present.EMBEDDED_SQL_PORT !== undefined && present.SINK_URL !== undefined) {
    problems.push('EMBEDDED_SQL_PORT: serves the embedded database only; with SINK_URL, connect to that database instead (unset EMBEDDED_SQL_PORT)');
  }
  if (present.LAYOUT === 'commons-codec' && !(present.SINK_URL !== undefined && URL.canParse(present.SINK_URL) && isCrateDbUrl(present.SINK_URL))) {
    problems.push('LAYOUT: commons-codec is a layout of CrateDB tables; set SINK_URL to a CrateDB (crate://, http:// or https://) or unset LAYOUT');
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const e = parsed.data;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    accessKeys,
    allowUnauthenticated: e.ALLOW_UNAUTHENTICATED,
    tableMap,
    columnMap,
    sink: {
      url: e.SINK_URL,
      pgliteDir: e.PGLITE_DIR,
      embeddedSql: e.EMBEDDED_SQL_PORT === undefined ? null : { port: e.EMBEDDED_SQL_PORT, host: e.EMBEDDED_SQL_HOST },
      schema: e.TARGET_SCHEMA,
      deadLetterTable: e.DEAD_LETTER_TABLE,
      changeLog: e.CHANGE_LOG,
      poolSize: e.SINK_POOL_SIZE,
      connectTimeoutMs: e.SINK_CONNECT_TIMEOUT_MS,
      maxRowsPerStatement: e.SINK_MAX_ROWS_PER_STATEMENT,
      maxBytesPerStatement: e.SINK_MAX_BYTES_PER_STATEMENT,
      requestTimeoutMs: e.SINK_REQUEST_TIMEOUT_MS,
      crateDb: { shards: e.CRATEDB_SHARDS ?? null, replicas: e.CRATEDB_REPLICAS ?? null, maxDataColumns: e.CRATEDB_MAX_DATA_COLUMNS, layout: e.LAYOUT },
    },
    tombstoneRetentionHours: e.TOMBSTONE_RETENTION_HOURS,
    tombstonePurgeIntervalSeconds: e.TOMBSTONE_PURGE_INTERVAL_SECONDS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxDecompressedBytes: e.MAX_DECOMPRESSED_BYTES,
    deliveryTimeoutMs: e.DELIVERY_TIMEOUT_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
    maxConcurrentDeliveries: e.MAX_CONCURRENT_DELIVERIES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    maxProcessingBytes: e.MAX_PROCESSING_BYTES,
    futureChangeMarginSeconds: e.FUTURE_CHANGE_MARGIN_SECONDS,
    decodeWorkers: e.DECODE_WORKERS === 'auto' ? workersForCores(cores) : e.DECODE_WORKERS,
  };
  return { ok: true, config: deepFreeze(config) };
}

/** What a variable wants, in words, instead of zod's own ("expected number, received NaN"). */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
    case 'too_small':
      return `a whole number, at least ${String(issue.minimum)}`;
    case 'too_big':
      return `a whole number, at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}

function readColumnMap(path: string, readText: (path: string) => string): ColumnMapResult {
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    return { ok: false, problems: [`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`] };
  }
  return parseColumnMap(text, path);
}

/** TABLE_MAP onto a table the sinks keep for themselves (or onto its change-log name): refused at start. */
export function internalTargets(tableMap: ReadonlyMap<string, string>, deadLetterTable: string): string[] {
  const internal = internalTables(deadLetterTable);
  const problems: string[] = [];
  for (const [source, target] of tableMap) {
    const clash = nameFamily(target).find((name) => internal.has(name));
    if (clash === undefined) continue;
    const what = clash === target ? `${target} is` : `its change log ${clash} would be`;
    problems.push(`TABLE_MAP: ${source}=${target}: ${what} the internal table of ${internal.get(clash)}; map it to another name`);
  }
  return problems;
}

/**
 * DECODE_WORKERS=auto: a worker per core beyond the main thread's, and none on one or two cores,
 * where the main thread and the database use them all already (README, "Performance").
 */
export function workersForCores(cores: number = availableParallelism()): number {
  return cores <= 2 ? 0 : cores - 1;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Map)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
