import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { isLosslessNumber, parse } from 'lossless-json';

/**
 * A CrateDB stand-in for tests: NOT CrateDB. It answers `POST /_sql` with the response shapes
 * CrateDB documents, runs the sink's statements on an embedded PostgreSQL (after rewriting the
 * few spellings that differ), and imitates the CrateDB rules of CONTEXT.md §3 that the sink must
 * survive:
 * - a dynamic object's sub-column takes the type of the first value seen; a later value of
 *   another type fails the whole bulk request with HTTP 400 (a cast error), except that a
 *   fractional number in a BIGINT sub-column is silently truncated;
 * - object keys containing `.`, `[`, tab, CR or LF, arrays of mixed types, nested arrays and
 *   integers beyond 64 bits fail the row: -2 in the bulk results, with an error;
 * - errors are `{"error": {"message", "code"}}`, a 401 is plain text.
 * Faults can be injected, and every request is recorded.
 */
export interface StandInRequest {
  readonly stmt: string;
  readonly bulk: boolean;
  readonly rows: number;
}

type Fault = { kind: 'status'; status: number; body: string } | { kind: 'delay'; ms: number } | { kind: 'reset' };

const INVALID_KEY = /[.[\t\r\n]/;
const INT64_MAX = 2n ** 63n - 1n;

class RowError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

class BulkCastError extends Error {}

export class CrateDbStandIn {
  readonly requests: StandInRequest[] = [];
  private readonly faults: Fault[] = [];
  /** `schema.table` → sub-column path (JSON array) → type. */
  private readonly types = new Map<string, Map<string, string>>();
  private server!: Server;
  private db!: PGlite;
  url = '';
  password: string | null = null;
  /**
   * Bulk rows for which this returns a refusal fail with -2 (as CrateDB does for some row errors):
   * a message (code 4000), or a code with or without a message.
   */
  refuseRow: ((args: unknown[], stmt: string) => string | { code?: number; message?: string } | null) | null = null;

  static async start(): Promise<CrateDbStandIn> {
    const standIn = new CrateDbStandIn();
    standIn.db = await PGlite.create();
    standIn.server = createServer((req, res) => void standIn.handle(req, res));
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    standIn.url = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
    return standIn;
  }

  /** The next request meets this fault instead of an answer. */
  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Rows of a table as the stand-in stores them (timestamps as epoch ms). */
  async rows(schema: string, table: string): Promise<Record<string, unknown>[]> {
    return (await this.db.query<Record<string, unknown>>(`SELECT *, data::text AS data_text FROM "${schema}"."${table}" ORDER BY pk`)).rows;
  }

  async query<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(text, params)).rows;
  }

  /** Declares a sub-column type as if an earlier writer had created it. */
  setType(schema: string, table: string, path: string[], type: string): void {
    this.typesOf(`${schema}.${table}`).set(JSON.stringify(path), type);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.db.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = this.faults.shift();
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'status') return void res.writeHead(fault.status, { 'content-type': 'application/json' }).end(fault.body);
    if (this.password !== null && req.headers.authorization !== `Basic ${Buffer.from(`crate:${this.password}`).toString('base64')}`) {
      return void res.writeHead(401, { 'content-type': 'text/plain' }).end('trust authentication failed for user "crate"');
    }
    if (req.method !== 'POST' || !req.url?.startsWith('/_sql')) return void res.writeHead(404).end();
    const body = parse(Buffer.concat(chunks).toString('utf8')) as { stmt: string; args?: unknown[]; bulk_args?: unknown[][] };
    this.requests.push({ stmt: body.stmt, bulk: body.bulk_args !== undefined, rows: body.bulk_args?.length ?? 1 });
    try {
      const answer = body.bulk_args ? await this.bulk(body.stmt, body.bulk_args) : await this.single(body.stmt, body.args ?? []);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...answer, duration: 1 }));
    } catch (error) {
      const status = error instanceof BulkCastError ? 400 : error instanceof RowError ? 400 : 400;
      const code = error instanceof RowError ? error.code : 4000;
      const missing = /does not exist/.test((error as Error).message);
      const kind = missing ? 'RelationUnknown' : error instanceof BulkCastError ? 'ClassCastException' : 'SQLActionException';
      const message = `${kind}[${(error as Error).message}]`;
      res.writeHead(missing ? 404 : status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, code: missing ? 4041 : code } }));
    }
  }

  private async single(stmt: string, args: unknown[]) {
    if (/^SELECT 1$/.test(stmt)) return { cols: ['1'], rows: [[1]], rowcount: 1 };
    if (/^REFRESH TABLE/.test(stmt)) return { cols: [], rows: [], rowcount: 1 };
    if (/FROM information_schema\.columns\s+WHERE table_schema = \? AND table_name = \? AND column_name LIKE 'data\[%'/.test(stmt)) {
      const types = this.typesOf(`${String(args[0])}.${String(args[1])}`);
      const rows = [...types].map(([path, type]) => [`data${(JSON.parse(path) as string[]).map((s) => `['${s.replaceAll("'", "''")}']`).join('')}`, type]);
      return { cols: ['column_name', 'data_type'], rows, rowcount: rows.length };
    }
    if (/^CREATE TABLE/.test(stmt)) {
      const schema = /"((?:[^"]|"")+)"\./.exec(stmt)![1]!.replaceAll('""', '"');
      await this.db.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    }
    // Arrays of text (primary keys for `= ANY(?)`) stay arrays; other objects travel as JSON.
    const params = args.map((a) => (Array.isArray(a) && a.every((v) => typeof v === 'string') ? a : plain(a)));
    const result = await this.db.query<Record<string, unknown>>(toPostgres(stmt), params);
    const cols = result.fields.map((f) => f.name);
    return { cols, rows: result.rows.map((r) => cols.map((c) => r[c])), rowcount: result.affectedRows ?? result.rows.length };
  }

  private async bulk(stmt: string, rows: unknown[][]) {
    const table = /^INSERT INTO ("(?:[^"]|"")+")\.("(?:[^"]|"")+")/.exec(stmt);
    const dataIndex = table ? columnsOf(stmt).indexOf('data') : -1;
    const key = table ? `${unquote(table[1]!)}.${unquote(table[2]!)}` : '';
    // A missing table fails the whole request (4041), not each row.
    if (table && (await this.db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${table[1]}.${table[2]}`])).rows[0]?.t == null) {
      throw new Error(`relation ${key} does not exist`);
    }
    // Cast errors are found while binding, before any row is written: the whole request fails.
    const pending = new Map(this.typesOf(key));
    if (dataIndex >= 0) for (const row of rows) this.checkTypes(row[dataIndex], [], pending, false);
    const results: { rowcount: number; error?: { code: number; message: string } }[] = [];
    const pg = toPostgres(stmt);
    for (const row of rows) {
      try {
        const refusal = this.refuseRow?.(row, stmt) ?? null;
        if (refusal !== null) {
          // Without a message: a -2 with no detail (before CrateDB 5.10, or past the first 10 errors).
          const { code = 4000, message } = typeof refusal === 'string' ? { message: refusal } : refusal;
          results.push(message === undefined ? { rowcount: -2 } : { rowcount: -2, error: { code, message } });
          continue;
        }
        if (dataIndex >= 0) {
          this.checkRow(row[dataIndex], []);
          row[dataIndex] = this.checkTypes(row[dataIndex], [], this.typesOf(key), true);
        }
        const result = await this.db.query(pg, row.map(plain));
        results.push({ rowcount: result.affectedRows ?? 0 });
      } catch (error) {
        const code = error instanceof RowError ? error.code : 4000;
        results.push({ rowcount: -2, error: { code, message: (error as Error).message } });
      }
    }
    return { cols: [], results };
  }

  /** Row-level refusals: bad keys, mixed or nested arrays, integers beyond 64 bits. */
  private checkRow(value: unknown, path: string[]): void {
    if (Array.isArray(value)) {
      if (value.some(Array.isArray)) throw new RowError(4000, `nested arrays are not supported in dynamic objects: ${path.join('.')}`);
      const kinds = new Set(value.filter((v) => v !== null).map(kindOf));
      if (kinds.size > 1) throw new RowError(4000, `Mixed dataTypes inside a list are not supported: ${path.join('.')}`);
      value.forEach((v) => this.checkRow(v, path));
    } else if (isLosslessNumber(value)) {
      if (!/[.eE]/.test(value.value) && (BigInt(value.value) > INT64_MAX || BigInt(value.value) < -INT64_MAX - 1n)) {
        throw new RowError(4000, `numeric value out of range for bigint: ${value.value}`);
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (INVALID_KEY.test(k)) throw new RowError(4008, `Column name "${k}" contains an illegal character`);
        this.checkRow(v, [...path, k]);
      }
    }
  }

  /**
   * First type wins. With `apply`, records new sub-columns and returns the value as CrateDB would
   * store it (a fraction in a BIGINT sub-column truncated); without, throws on a cast conflict.
   */
  private checkTypes(value: unknown, path: string[], types: Map<string, string>, apply: boolean): unknown {
    if (value === null) return null;
    if (path.length > 0) {
      const type = typeOf(value);
      const known = types.get(JSON.stringify(path));
      if (known === undefined) {
        types.set(JSON.stringify(path), type);
      } else if (known !== type) {
        const truncates = known === 'bigint' && type === 'double';
        const widens = known === 'double' && type === 'bigint';
        if (!truncates && !widens) throw new BulkCastError(`Cannot cast value ${JSON.stringify(String(value))} to type ${known} (data['${path.join("']['")}'])`);
        if (apply && truncates) return Math.trunc(Number((value as { value: string }).value));
      }
    }
    // The keys of objects in an array are sub-columns of the array's path.
    if (Array.isArray(value)) return value.map((v) => (isPlainObject(v) ? this.checkEntries(v, path, types, apply) : v));
    if (isPlainObject(value)) return this.checkEntries(value, path, types, apply);
    return value;
  }

  private checkEntries(obj: Record<string, unknown>, path: string[], types: Map<string, string>, apply: boolean): Record<string, unknown> {
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, this.checkTypes(v, [...path, k], types, apply)]));
  }

  private typesOf(key: string): Map<string, string> {
    let types = this.types.get(key);
    if (!types) this.types.set(key, (types = new Map()));
    return types;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isLosslessNumber(v);
}

function kindOf(v: unknown): string {
  if (isLosslessNumber(v)) return 'number';
  if (Array.isArray(v)) return 'array';
  return v === null ? 'null' : typeof v;
}

function typeOf(v: unknown): string {
  if (typeof v === 'string') return 'text';
  if (typeof v === 'boolean') return 'boolean';
  if (isLosslessNumber(v)) return /[.eE]/.test(v.value) ? 'double' : 'bigint';
  if (Array.isArray(v)) {
    const first = v.find((x) => x !== null);
    return `array(${first === undefined ? 'undefined' : typeOf(first)})`;
  }
  return 'object';
}

function unquote(identifier: string): string {
  return identifier.slice(1, -1).replaceAll('""', '"');
}

function columnsOf(stmt: string): string[] {
  const list = /\(([^)]*)\)\s*VALUES/.exec(stmt)?.[1] ?? '';
  return list.split(',').map((c) => unquote(c.trim()));
}

/** Parameters for PostgreSQL: objects and arrays as JSON text, numbers as their exact text. */
function plain(value: unknown): unknown {
  if (isLosslessNumber(value)) return value.value;
  if (value !== null && typeof value === 'object') return JSON.stringify(value, (_k, v) => (isLosslessNumber(v) ? Number(v.value) : v));
  return value;
}

/** The few spellings where CrateDB's SQL and PostgreSQL's differ, for the sink's statements. */
export function toPostgres(stmt: string): string {
  let n = 0;
  let pg = stmt
    .replace(/\?/g, () => `$${++n}`)
    .replace(/ARRAY\(OBJECT\(IGNORED\)\)|OBJECT\(DYNAMIC\)/g, 'jsonb')
    .replace(/TEXT INDEX OFF STORAGE WITH \(columnstore = false\)/g, 'text')
    .replace(/TIMESTAMP WITH TIME ZONE/g, 'bigint')
    .replace(/\nCLUSTERED INTO \d+ SHARDS/g, '')
    .replace(/\nWITH \("number_of_replicas" = '[^']*'\)/g, '')
    .replace(/= ANY\((\$\d+)\)/g, '= ANY($1::text[])');
  // CrateDB reads a bare column in ON CONFLICT … SET as the stored row; PostgreSQL wants it qualified.
  const upsert = /^(INSERT INTO "(?:[^"]|"")+"\."(?:[^"]|"")+")( \([\s\S]*ON CONFLICT \("pk"\) DO UPDATE SET\n)([\s\S]*)$/.exec(pg);
  if (upsert) {
    const sets = upsert[3]!.split(/,\n/).map((assignment) => {
      const at = assignment.indexOf(' = ');
      const rhs = assignment.slice(at).replace(/(?<!excluded\.)("[a-z_]+")/g, 'cur.$1');
      return assignment.slice(0, at) + rhs;
    });
    pg = `${upsert[1]} AS cur${upsert[2]}${sets.join(',\n')}`;
  }
  return pg;
}
