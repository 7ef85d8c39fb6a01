import { AnswerHooks } from './answer-hooks.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { isLosslessNumber, parse } from 'lossless-json';

/**
 * A CrateDB stand-in for tests: NOT CrateDB. It answers `POST /_sql` with the response shapes
 * CrateDB sends, runs the sink's statements on an embedded PostgreSQL (after rewriting the few
 * spellings that differ), and imitates, rule by rule, what a running CrateDB 6.4.3 answered to
 * the same requests (test/integration/cratedb-rules.test.ts runs each rule against both):
 * - a dynamic object's sub-column takes the type of the first value (`null` makes it
 *   `undefined`, `[]` `undefined_array`, both typed later by the first real value; but a list
 *   into an `undefined` one fails its row: 5000 NullPointerException, or, typed `undefined` earlier
 *   in the same request, 4000 `… already exists with type undefined …`);
 * - a value for a sub-column typed before the request is cast silently when it can be
 *   (1.5 → BIGINT 1, 1.5 → TEXT "1.5", true → TEXT "t", "12" → DOUBLE 12.0, 5 → BOOLEAN true) and
 *   otherwise fails the whole bulk request: HTTP 400, 4000, `SQLParseException[Cannot cast …]`;
 * - a sub-column created by an earlier row of the same request with another type fails the
 *   row: -2, 4000, `Cannot cast …` (a concurrent request creating it: `… already exists with type …`);
 * - per-row refusals (-2 with an error): a key with `.` (4008), a list of mixed types (5000,
 *   ClassCastException), an integer beyond 64 bits (4000), a text over 32,766 UTF-8 bytes in an
 *   indexed column (4000, immense term; not in a `TEXT INDEX OFF` or `OBJECT(IGNORED)` column),
 *   either end of the 64-bit range in a BIGINT column (4000, exceeds allowed range), an integer
 *   beyond 64 bits in an OBJECT(IGNORED) column (5000, can not write type BigInteger; its other
 *   numbers are stored as doubles);
 * - ALTER TABLE has no `ADD COLUMN IF NOT EXISTS` (ParsingException);
 * - a NUMERIC(38, 10) value with more than 28 integer digits fails the whole request (400,
 *   `Cannot cast value`); one with more fraction digits is rounded silently (as PostgreSQL does);
 * - information_schema spells sub-columns `data['a']['b']` without escaping quotes;
 * - only primary-key lookups with literals see rows written in the last second; other reads see
 *   rows once a REFRESH TABLE or a second has passed;
 * - a plain INSERT of a key already stored fails its row: -2, 4091 DuplicateKeyException;
 * - a bulk request gives the errors of its first 10 refused rows only (CrateDB: per shard
 *   request), later ones are -2 alone;
 * - in a bulk upsert, a stored row written after a row that changed the mapping (a new or newly
 *   typed sub-column) loses its new `data` while its other columns change: NULL after an inserted
 *   row, its old `data` after an updated one (CrateDB: rows of the same shard; here, all later rows);
 * - a statement over 262,144 characters (`statement_max_length`) is refused: 400, 4000;
 * - a DELETE guarded by `_seq_no`/`_primary_term` fails a row written since, and a missing one,
 *   with 4092; an UPDATE so guarded fails a row written since with 4092, a missing one with 40411;
 *   syntax errors are `ParsingException` (4000); a missing privilege is HTTP 401
 *   with 4011; a wrong user is a plain-text 401;
 * - a primary key of sub-columns of `pk` OBJECT(STRICT) (commons-codec's tables): ON CONFLICT names
 *   each (`pk['device']`; `("pk")` fails the request: 400, 4000), a key named with `.`, `[`, `]`,
 *   tab, CR or LF is refused (4008), information_schema lists them as `pk['device']`; a DELETE by key alone
 *   sees every write at once (a bulk one of a row not there fails it: -2, 40411), one with any
 *   other condition only refreshed rows.
 * - once an upsert's update has left a name outside the BMP where the mapping does not type it
 *   (in an OBJECT(IGNORED) column, or a null in `data`), reads of that row by key (a lookup: 500;
 *   the next upsert of it: its row) fail with 5000 `Invalid UTF-8: Illegal surrogate character`
 *   until a REFRESH TABLE or a second has passed (the first insert of such a row is readable).
 * Faults can be injected, and every request is recorded.
 */
const MAX_ERRORS_PER_REQUEST = 10;

export interface StandInRequest {
  readonly stmt: string;
  readonly bulk: boolean;
  readonly rows: number;
}

type Fault = { kind: 'status'; status: number; body: string } | { kind: 'delay'; ms: number } | { kind: 'reset' };

const INT64_MAX = 2n ** 63n - 1n;
const MAX_TERM_BYTES = 32_766;
const REFRESH_MS = 1000;
const MAX_STATEMENT_LENGTH = 262_144;

class CrateError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const rowError = (code: number, message: string) => new CrateError(400, code, message);

export class CrateDbStandIn {
  readonly requests: StandInRequest[] = [];
  /** Actions run after an answer is ready and before it is sent. */
  readonly afterAnswer = new AnswerHooks();
  private readonly faults: Fault[] = [];
  /** `schema.table` → sub-column path (JSON array) → type, spelled as information_schema does. */
  private readonly types = new Map<string, Map<string, string>>();
  /** `schema.table` → column → how the DDL declared it, where that matters to the rules. */
  private readonly declared = new Map<string, Map<string, Declared>>();
  /** `schema.table` → the key sub-columns of its `pk` OBJECT, with their types (`text`, `bigint`). */
  private readonly keyColumns = new Map<string, [string, string][]>();
  /** `schema.table` → pk → when it was written, until a refresh makes it visible to searches. */
  private readonly unrefreshed = new Map<string, Map<string, number>>();
  /** `schema.table` → pk → when an update left it unreadable by key (watchAstral). */
  private readonly unreadable = new Map<string, Map<string, number>>();
  /** `schema.table pk` of rows whose stored document holds such a name (watchAstral). */
  private readonly astral = new Set<string>();
  private server!: Server;
  private db!: PGlite;
  url = '';
  password: string | null = null;
  /** A privilege the user lacks: statements needing it answer 401, 4011. */
  deny: 'DML' | 'DDL' | null = null;
  /**
   * Bulk rows for which this returns a refusal fail with -2 (as CrateDB does for some row errors):
   * a message (code 4000), or a code with or without a message.
   */
  refuseRow: ((args: unknown[], stmt: string) => string | { code?: number; message?: string } | null) | null = null;

  static async start(): Promise<CrateDbStandIn> {
    const standIn = new CrateDbStandIn();
    standIn.db = await PGlite.create();
    await standIn.db.exec(CATALOG_VIEWS);
    standIn.server = createServer((req, res) => void standIn.handle(req, res).catch(() => res.destroy()));
    // Node closes idle connections after 5 s, which a loaded machine makes race with the sink's
    // next request on them (ECONNRESET); CrateDB keeps them far longer.
    standIn.server.keepAliveTimeout = 60_000;
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

  /** Declares a sub-column type as if an earlier writer had created it (`text`, `bigint`, …). */
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
    if (fault?.kind === 'delay') {
      // Until then, or until the client gives up on it.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fault.ms);
        req.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (fault?.kind === 'status') return void res.writeHead(fault.status, { 'content-type': 'application/json' }).end(fault.body);
    if (this.password !== null && req.headers.authorization !== `Basic ${Buffer.from(`crate:${this.password}`).toString('base64')}`) {
      return void res.writeHead(401, { 'content-type': 'text/plain' }).end('trust authentication failed for user "crate"');
    }
    if (req.method !== 'POST' || !req.url?.startsWith('/_sql')) return void res.writeHead(404).end();
    const body = parse(Buffer.concat(chunks).toString('utf8')) as { stmt: string; args?: unknown[]; bulk_args?: unknown[][] };
    const request = { stmt: body.stmt, bulk: body.bulk_args !== undefined, rows: body.bulk_args?.length ?? 1 };
    this.requests.push(request);
    try {
      if (body.stmt.length > MAX_STATEMENT_LENGTH) {
        throw new CrateError(
          400,
          4000,
          `SQLParseException[Statement exceeds \`statement_max_length\` (${MAX_STATEMENT_LENGTH} allowed, ${body.stmt.length} provided). Try replacing inline values with parameter placeholders (\`?\`)]`,
        );
      }
      this.checkPrivilege(body.stmt);
      const answer = body.bulk_args ? await this.bulk(body.stmt, body.bulk_args) : await this.single(body.stmt, body.args ?? []);
      await this.afterAnswer.run(request);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...answer, duration: 1 }));
    } catch (error) {
      const { status, code, message } = asCrateError(error);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, code } }));
    }
  }

  private checkPrivilege(stmt: string): void {
    const needs = /^\s*(INSERT|UPDATE|DELETE)/i.test(stmt) ? 'DML' : /^\s*(CREATE|DROP|ALTER)/i.test(stmt) ? 'DDL' : null;
    if (needs !== null && needs === this.deny) throw new CrateError(401, 4011, `MissingPrivilegeException[Missing '${needs}' privilege for user 'crate']`);
  }

  private async single(stmt: string, args: unknown[]) {
    if (/^SELECT 1$/.test(stmt)) return { cols: ['1'], rows: [[1]], rowcount: 1 };
    const refresh = /^REFRESH TABLE ("(?:[^"]|"")+")\.("(?:[^"]|"")+")/.exec(stmt);
    if (refresh) {
      this.unrefreshed.delete(`${unquote(refresh[1]!)}.${unquote(refresh[2]!)}`);
      this.unreadable.delete(`${unquote(refresh[1]!)}.${unquote(refresh[2]!)}`);
      return { cols: [], rows: [], rowcount: 1 };
    }
    if (/FROM information_schema\.columns\s+WHERE table_schema = \? AND table_name = \? AND column_name LIKE 'data\[%'/.test(stmt)) {
      const types = this.typesOf(`${String(args[0])}.${String(args[1])}`);
      // Quotes inside keys are not escaped (ColumnIdent.sqlFqn).
      const rows = [...types].map(([path, type]) => [`data${(JSON.parse(path) as string[]).map((s) => `['${s}']`).join('')}`, type]);
      return { cols: ['column_name', 'data_type'], rows, rowcount: rows.length };
    }
    if (/FROM information_schema\.columns\s+WHERE table_schema = \? AND table_name = \? AND column_name LIKE 'pk\[%'/.test(stmt)) {
      const rows = (this.keyColumns.get(`${String(args[0])}.${String(args[1])}`) ?? []).map(([name, type]) => [`pk['${name}']`, type]);
      return { cols: ['column_name', 'data_type'], rows, rowcount: rows.length };
    }
    if (
      /^SELECT DISTINCT table_name FROM information_schema\.columns WHERE table_schema = \? AND table_name = ANY\(\?\) AND column_name LIKE 'pk\[%'/.test(stmt)
    ) {
      const rows = (args[1] as string[]).filter((t) => this.keyColumns.has(`${String(args[0])}.${t}`)).map((t) => [t]);
      return { cols: ['table_name'], rows, rowcount: rows.length };
    }
    // Shards start at once here.
    if (/FROM sys\.shards/.test(stmt)) return { cols: ['state'], rows: [['STARTED']], rowcount: 1 };
    if (/^ALTER TABLE [\s\S]*ADD COLUMN IF NOT EXISTS/.test(stmt)) {
      throw new CrateError(400, 4000, "ParsingException[line 1:36: mismatched input 'IF' expecting {…}]");
    }
    for (const [, name] of /OBJECT\(STRICT\) AS \(/.test(stmt) ? stmt.matchAll(/"((?:[^"]|"")+)" \w+ PRIMARY KEY/g) : []) {
      if (/[.[\]\t\r\n]/.test(name!)) throw rowError(4008, `InvalidColumnNameException["${name}" is not a valid column name]`);
    }
    if (/^CREATE TABLE/.test(stmt)) {
      const schema = /"((?:[^"]|"")+)"\./.exec(stmt)![1]!.replaceAll('""', '"');
      await this.db.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    }
    const ddl = /^(?:CREATE TABLE IF NOT EXISTS|CREATE TABLE|ALTER TABLE) ("(?:[^"]|"")+")\.("(?:[^"]|"")+")/.exec(stmt);
    // Arrays of text (keys for `= ANY(?)`) stay arrays; other objects travel as JSON.
    const params = args.map((a) => (Array.isArray(a) && a.every((v) => typeof v === 'string') ? a : plain(a)));
    const result = await this.db.query<Record<string, unknown>>(toPostgres(stmt), params);
    if (ddl) this.declare(`${unquote(ddl[1]!)}.${unquote(ddl[2]!)}`, stmt);
    if (ddl && /^CREATE/.test(stmt)) await this.declareKeys(ddl[1]!, ddl[2]!, stmt);
    const cols = result.fields.map((f) => f.name);
    let rows = result.rows;
    const from = /\bFROM ("(?:[^"]|"")+")\.("(?:[^"]|"")+")/.exec(stmt);
    if (/^SELECT/.test(stmt) && from && isLiteralKeyLookup(stmt)) {
      const key = `${unquote(from[1]!)}.${unquote(from[2]!)}`;
      if (rows.some((r) => this.isUnreadable(key, r.pk))) throw new CrateError(500, 5000, UNREADABLE_SOURCE);
    }
    if (/^SELECT/.test(stmt) && from && cols.includes('pk') && !isLiteralKeyLookup(stmt)) {
      // A search sees only refreshed rows; a key lookup with literals sees every write at once.
      const recent = this.unrefreshed.get(`${unquote(from[1]!)}.${unquote(from[2]!)}`);
      const now = Date.now();
      rows = rows.filter((r) => !(recent && now - (recent.get(String(r.pk)) ?? -Infinity) < REFRESH_MS));
    }
    return { cols, rows: rows.map((r) => cols.map((c) => r[c])), rowcount: result.affectedRows ?? rows.length };
  }

  private async bulk(stmt: string, rows: unknown[][]) {
    const target = /^(?:INSERT INTO|DELETE FROM|UPDATE) ("(?:[^"]|"")+")\.("(?:[^"]|"")+")/.exec(stmt);
    const key = target ? `${unquote(target[1]!)}.${unquote(target[2]!)}` : '';
    // A missing table fails the whole request (4041), not each row.
    if (target && (await this.db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${target[1]}.${target[2]}`])).rows[0]?.t == null) {
      throw new CrateError(404, 4041, `RelationUnknown[Relation '${key}' unknown]`);
    }
    const keyColumns = this.keyColumns.get(key);
    if (keyColumns && /ON CONFLICT \("pk"\)/.test(stmt)) {
      const names = keyColumns.map(([name]) => `pk['${name}']`).join(', ');
      throw new CrateError(400, 4000, `SQLParseException[Number of conflict targets (["pk"]) did not match the number of primary key columns ([${names}])]`);
    }
    const columns = /^INSERT/.test(stmt) ? columnsOf(stmt) : /^UPDATE/.test(stmt) ? updatedColumnsOf(stmt) : [];
    const dataIndex = columns.indexOf('data');
    const types = this.typesOf(key);
    // Casts are decided at analysis, against the types known when the request came: a value
    // that cannot be cast fails the whole request before any row is written.
    const analysed = new Map(types);
    const casts = dataIndex >= 0 ? rows.map((row) => castValue(row[dataIndex], [], analysed)) : [];
    const declared = this.declared.get(key) ?? new Map<string, Declared>();
    for (const row of rows) columns.forEach((c, i) => declared.get(c) === 'numeric' && checkNumeric(row[i]));
    const results: { rowcount: number; error?: { code: number; message: string } }[] = [];
    const pg = toPostgres(stmt);
    const updates = /ON CONFLICT \([^\n]*\) DO UPDATE/.test(stmt);
    let mappingChangedBy: 'insert' | 'update' | null = null;
    for (const [i, row] of rows.entries()) {
      try {
        if (updates && columns[0] === 'pk' && this.isUnreadable(key, row[0])) {
          results.push({ rowcount: -2, error: { code: 5000, message: UNREADABLE_SOURCE } });
          continue;
        }
        const refusal = this.refuseRow?.(row, stmt) ?? null;
        if (refusal !== null) {
          // Without a message: a -2 with no detail (before CrateDB 5.10, or past the first 10 errors).
          const { code = 4000, message } = typeof refusal === 'string' ? { message: refusal } : refusal;
          results.push(message === undefined ? { rowcount: -2 } : { rowcount: -2, error: { code, message } });
          continue;
        }
        if (dataIndex >= 0) {
          checkRow(row[dataIndex], []);
          const pending = new Map(types);
          typeNew(casts[i], [], pending, analysed);
          row[dataIndex] = casts[i];
          const stored: unknown =
            updates && (mappingChangedBy !== null || changesMapping(pending, types)) ? await this.storedData(target![1]!, target![2]!, row[0]) : undefined;
          // After a row of the request changed the mapping, a stored row's update loses its `data`:
          // NULL if that row was inserted, the old `data` if it was updated.
          if (mappingChangedBy !== null && stored !== undefined) row[dataIndex] = mappingChangedBy === 'insert' ? null : stored;
          if (updates && changesMapping(pending, types)) mappingChangedBy = stored === undefined ? 'insert' : 'update';
          for (const [path, type] of pending) types.set(path, type);
        }
        for (const [c, value] of row.entries()) {
          const column = columns[c];
          const kind = declared.get(column ?? '');
          if (kind === 'bigint') checkBigint(value);
          if (kind === 'ignored') checkIgnoredNumbers(value);
          if (kind !== 'unindexed' && kind !== 'ignored') checkIndexable(column, value);
        }
        if (/"_seq_no" = \?/.test(stmt)) {
          results.push(await this.writeUnchanged(pg, row, /^UPDATE/.test(stmt) ? `${target![1]}.${target![2]}` : null));
          continue;
        }
        if (/^DELETE FROM [^\n]* WHERE "pk"\['/.test(stmt)) {
          if (!/^DELETE FROM [^\n]* WHERE "pk"\['[^']*'\] = \?( AND "pk"\['[^']*'\] = \?)*$/.test(stmt)) {
            throw new CrateError(500, 5000, 'the stand-in runs no DELETE by key with other conditions: CrateDB runs it as a search of refreshed rows only');
          }
          // A bulk delete by key of a row not there fails that row.
          const { affectedRows } = await this.db.query(pg, row.map(plain));
          results.push(
            affectedRows ? { rowcount: affectedRows } : { rowcount: -2, error: { code: 40411, message: 'DocumentMissingException[document missing]' } },
          );
          continue;
        }
        const watch = updates && columns[0] === 'pk' && (ASTRAL.test(JSON.stringify(row)) || this.astral.has(`${key} ${pkText(row[0])}`));
        const existed = watch && (await this.storedRow(target![1]!, target![2]!, row[0])) !== null;
        const result = await this.db.query(pg, row.map(plain));
        if (columns[0] === 'pk') this.wrote(key, String(row[0]));
        if (watch) await this.watchAstral(key, target![1]!, target![2]!, row[0], existed);
        results.push({ rowcount: result.affectedRows ?? 0 });
      } catch (error) {
        const { code, message } = asCrateError(error);
        results.push({ rowcount: -2, error: { code, message } });
      }
    }
    // CrateDB gives the errors of at most 10 rows per shard request (BULK_RESPONSE_MAX_ERRORS_PER_SHARD);
    // here, per request: what a table of one shard does.
    let explained = 0;
    for (const result of results) if (result.error && ++explained > MAX_ERRORS_PER_REQUEST) delete result.error;
    return { cols: [], results };
  }

  /**
   * `_seq_no` is PostgreSQL's xmin here: changed by every write to the row. A guarded DELETE of a
   * missing document is a conflict too; a guarded UPDATE of one (`updated`: its table) is 40411.
   * Both end with the key, `_seq_no` and `_primary_term`.
   */
  private async writeUnchanged(pg: string, row: unknown[], updated: string | null) {
    const result = await this.db.query(pg, row.map(plain));
    if ((result.affectedRows ?? 0) > 0) return { rowcount: 1 };
    const [pk, seqNo] = row.slice(-3).map(String);
    if (updated !== null && (await this.db.query(`SELECT 1 FROM ${updated} WHERE "pk" = $1`, [pk])).rows.length === 0) {
      return { rowcount: -2, error: { code: 40411, message: `DocumentMissingException[[${pk}]: document missing]` } };
    }
    return { rowcount: -2, error: { code: 4092, message: `VersionConflictEngineException[[${pk}]: version conflict, required seqNo [${seqNo}]]` } };
  }

  /**
   * `"pk" OBJECT(STRICT) AS ("device" TEXT PRIMARY KEY, …)`: the key sub-columns, and a unique
   * index over them, which PostgreSQL's ON CONFLICT infers from the same expressions.
   */
  private async declareKeys(schema: string, table: string, stmt: string): Promise<void> {
    const keys = /(?:"pk"|\bpk) OBJECT\(STRICT\) AS \(([^)]*)\)/.exec(stmt)?.[1];
    if (keys === undefined) return;
    const columns = [...keys.matchAll(/"((?:[^"]|"")+)" (\w+) PRIMARY KEY/g)].map(([, name, type]): [string, string] => [
      name!.replaceAll('""', '"'),
      /INT/i.test(type!) ? 'bigint' : 'text',
    ]);
    this.keyColumns.set(`${unquote(schema)}.${unquote(table)}`, columns);
    const expressions = columns.map(([name]) => `("pk"->>'${name.replaceAll("'", "''")}')`).join(', ');
    await this.db.query(`CREATE UNIQUE INDEX IF NOT EXISTS "${unquote(table)}_pkey" ON ${schema}.${table} (${expressions})`);
  }

  private async storedData(schema: string, table: string, pk: unknown): Promise<unknown> {
    const { rows } = await this.db.query<{ data: string | null }>(`SELECT "data"::text AS data FROM ${schema}.${table} WHERE "pk" = $1`, [pk]);
    return rows[0]?.data == null ? undefined : parse(rows[0].data);
  }

  /** The stored row as JSON text, or null. */
  private async storedRow(schema: string, table: string, pk: unknown): Promise<Record<string, unknown> | null> {
    const { rows } = await this.db.query<{ r: string }>(`SELECT row_to_json(t)::text AS r FROM ${schema}.${table} t WHERE "pk" = $1`, [plain(pk)]);
    return rows[0] ? (parse(rows[0].r) as Record<string, unknown>) : null;
  }

  /**
   * After an upsert of a row whose arguments or stored row hold a name outside the BMP: the row
   * holds one where the mapping does not type it (inside an OBJECT(IGNORED) column, or a null in
   * `data`), and an update wrote it, so reads by key fail until a refresh (UNREADABLE_SOURCE).
   */
  private async watchAstral(key: string, schema: string, table: string, pk: unknown, existed: boolean): Promise<void> {
    const stored = await this.storedRow(schema, table, pk);
    const declared = this.declared.get(key) ?? new Map<string, Declared>();
    const holds =
      stored !== null && (Object.entries(stored).some(([column, value]) => declared.has(column) && astralName(value, false)) || astralName(stored.data, true));
    const id = `${key} ${pkText(pk)}`;
    if (holds) this.astral.add(id);
    else this.astral.delete(id);
    if (holds && existed) {
      let broken = this.unreadable.get(key);
      if (!broken) this.unreadable.set(key, (broken = new Map()));
      broken.set(pkText(pk), Date.now());
    }
  }

  /** Unreadable until a REFRESH TABLE, or the scheduled refresh a second later. */
  private isUnreadable(key: string, pk: unknown): boolean {
    const since = this.unreadable.get(key)?.get(pkText(pk));
    return since !== undefined && Date.now() - since < REFRESH_MS;
  }

  private wrote(key: string, pk: string): void {
    let recent = this.unrefreshed.get(key);
    if (!recent) this.unrefreshed.set(key, (recent = new Map()));
    recent.set(pk, Date.now());
  }

  /** Learns from CREATE or ALTER TABLE which columns are not indexed, BIGINT or NUMERIC. */
  private declare(key: string, stmt: string): void {
    let declared = this.declared.get(key);
    if (!declared) this.declared.set(key, (declared = new Map()));
    for (const [, name, type] of stmt.matchAll(/"((?:[^"]|"")+)" (TEXT INDEX OFF|ARRAY\(OBJECT\(IGNORED\)\)|OBJECT\(IGNORED\)|BIGINT|NUMERIC)/g)) {
      const kind = type === 'BIGINT' ? 'bigint' : type === 'NUMERIC' ? 'numeric' : type === 'OBJECT(IGNORED)' ? 'ignored' : 'unindexed';
      declared.set(name!.replaceAll('""', '"'), kind);
    }
  }

  private typesOf(key: string): Map<string, string> {
    let types = this.types.get(key);
    if (!types) this.types.set(key, (types = new Map()));
    return types;
  }
}

/** `ignored`: an OBJECT(IGNORED) column (not indexed either). */
type Declared = 'unindexed' | 'ignored' | 'bigint' | 'numeric';

/** CrateDB 6.4.3's BIGINT refuses both ends of the 64-bit range, as a number or a string. */
function checkBigint(value: unknown): void {
  const text = isLosslessNumber(value) ? value.value : typeof value === 'string' ? value : null;
  if (text === null || !/^-?\d+$/.test(text)) return;
  const n = BigInt(text);
  if (n >= INT64_MAX || n <= -INT64_MAX - 1n) throw rowError(4000, `SQLParseException[Value ${text} exceeds allowed range for column of type bigint]`);
}

/** OBJECT(IGNORED) stores numbers as longs or doubles (as `plain` does here): an integer beyond 64 bits refuses the row. */
function checkIgnoredNumbers(value: unknown): void {
  if (isLosslessNumber(value) && /^-?\d+$/.test(value.value) && (BigInt(value.value) > INT64_MAX || BigInt(value.value) < -INT64_MAX - 1n)) {
    throw rowError(5000, 'UncheckedIOException[java.io.IOException: can not write type [class java.math.BigInteger]]');
  }
  if (Array.isArray(value)) value.forEach(checkIgnoredNumbers);
  else if (isPlainObject(value)) Object.values(value).forEach(checkIgnoredNumbers);
}

/** NUMERIC(38, 10) holds 28 integer digits: more fails the whole request (fractions are rounded). */
function checkNumeric(value: unknown): void {
  const text = isLosslessNumber(value) ? value.value : typeof value === 'string' ? value : null;
  const whole = text === null ? null : /^[+-]?0*(\d*)/.exec(text)?.[1];
  if (whole && whole.length > 28) throw new CrateError(400, 4000, `SQLParseException[Cannot cast value \`${text}\` to type \`numeric(38,10)\`]`);
}

function asCrateError(error: unknown): CrateError {
  if (error instanceof CrateError) return error;
  const message = (error as Error).message;
  if (/does not exist/.test(message) && /relation|schema/.test(message)) return new CrateError(404, 4041, `RelationUnknown[${message}]`);
  if (/syntax error/.test(message)) return new CrateError(400, 4000, `ParsingException[${message}]`);
  if (/duplicate key value violates unique constraint/.test(message))
    return new CrateError(409, 4091, 'DuplicateKeyException[A document with the same primary key exists already]');
  return new CrateError(400, 4000, `SQLParseException[${message}]`);
}

const ASTRAL = /[\uD800-\uDFFF]/;
/** What CrateDB 6.4.3 answers to a read by key of a row left unreadable by an update (observed). */
const UNREADABLE_SOURCE =
  'UncheckedIOException[com.fasterxml.jackson.core.JsonParseException: Invalid UTF-8: Illegal surrogate character 0xd800\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 45]]';

/** A name outside the BMP anywhere in `value` (`nullsOnly`: only one holding null, as in a dynamic object). */
function astralName(value: unknown, nullsOnly: boolean): boolean {
  if (Array.isArray(value)) return value.some((v) => astralName(v, nullsOnly));
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([name, v]) => (ASTRAL.test(name) && (!nullsOnly || v === null)) || astralName(v, nullsOnly));
}

function pkText(pk: unknown): string {
  return typeof pk === 'string' ? pk : JSON.stringify(pk);
}

function isLiteralKeyLookup(stmt: string): boolean {
  return /WHERE "pk" = ANY\(\['/.test(stmt) || /WHERE "pk" = '/.test(stmt);
}

/** Per-row refusals of the data: bad keys, mixed lists, integers beyond 64 bits. */
function checkRow(value: unknown, path: string[]): void {
  if (Array.isArray(value)) {
    if (value.some(Array.isArray)) throw rowError(4000, `nested arrays are not supported in dynamic objects: ${path.join('.')}`);
    const kinds = new Set(value.filter((v) => v !== null).map(kindOf));
    if (kinds.size > 1) throw rowError(5000, 'ClassCastException[class java.lang.String cannot be cast to class java.lang.Number]');
    value.forEach((v) => checkRow(v, path));
  } else if (isLosslessNumber(value)) {
    if (!/[.eE]/.test(value.value) && (BigInt(value.value) > INT64_MAX || BigInt(value.value) < -INT64_MAX - 1n)) {
      throw rowError(4000, `SQLParseException[Cannot detect the type of the value: ${value.value}]`);
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('.')) throw rowError(4008, `InvalidColumnNameException["${k}" contains a dot]`);
      if (/[[\]\t\r\n]/.test(k)) throw rowError(4008, `InvalidColumnNameException["${k}" conflicts with subscript pattern or contains a whitespace]`);
      checkRow(v, [...path, k]);
    }
  }
}

/** Lucene refuses a term over 32,766 UTF-8 bytes in any indexed text (item and payloads are not indexed). */
function checkIndexable(column: string | undefined, value: unknown): void {
  if (column === 'item' || column === 'payload' || column === 'new_image' || column === 'old_image' || column === 'aux') return;
  const long = (v: unknown): boolean =>
    typeof v === 'string' ? Buffer.byteLength(v) > MAX_TERM_BYTES : Array.isArray(v) ? v.some(long) : isPlainObject(v) ? Object.values(v).some(long) : false;
  if (long(value)) {
    throw rowError(
      4000,
      `SQLParseException[Document contains at least one immense term (whose UTF8 encoding is longer than the max length ${MAX_TERM_BYTES}), all of which were skipped.]`,
    );
  }
}

/**
 * The value as CrateDB stores it under the types known at analysis: cast where CrateDB casts;
 * a value it cannot cast fails the whole request.
 */
function castValue(value: unknown, path: string[], types: Map<string, string>): unknown {
  if (value === null) return null;
  const known = path.length > 0 ? types.get(JSON.stringify(path)) : 'object';
  if (known !== undefined && known !== 'undefined' && known !== 'undefined_array') {
    const cast = castTo(value, known);
    if (cast === CANNOT) {
      throw new CrateError(400, 4000, `SQLParseException[Cannot cast object element \`${path.at(-1)}\` with value \`${display(value)}\` to type \`${known}\`]`);
    }
    value = cast;
  }
  if (Array.isArray(value)) return value.map((v) => (isPlainObject(v) ? castEntries(v, path, types) : v));
  if (isPlainObject(value)) return castEntries(value, path, types);
  return value;
}

function castEntries(obj: Record<string, unknown>, path: string[], types: Map<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, castValue(v, [...path, k], types)]));
}

const CANNOT = Symbol('cannot cast');

/** The casts observed on CrateDB 6.4.3; any other pair is refused. */
function castTo(value: unknown, type: string): unknown {
  const element = /^(.+)_array$/.exec(type)?.[1];
  if (element) {
    if (!Array.isArray(value)) return CANNOT;
    const cast = value.map((v) => (v === null ? null : castTo(v, element)));
    return cast.includes(CANNOT) ? CANNOT : cast;
  }
  const number = isLosslessNumber(value)
    ? Number(value.value)
    : typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value)
      ? Number(value)
      : null;
  switch (type) {
    case 'double precision':
      return number ?? CANNOT;
    case 'bigint':
      return number === null ? CANNOT : Math.trunc(number);
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'boolean') return value ? 't' : 'f';
      return isLosslessNumber(value) ? String(Number(value.value)) : CANNOT;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return isLosslessNumber(value) ? Number(value.value) !== 0 : CANNOT;
    case 'object':
      return isPlainObject(value) ? value : CANNOT;
    default:
      return kindOf(value) === type ? value : CANNOT;
  }
}

/**
 * Types the sub-columns this row creates. A path created by an earlier row of the same request
 * with another type fails this row; `undefined` ones are typed by the first real value.
 */
function typeNew(value: unknown, path: string[], pending: Map<string, string>, analysed: Map<string, string>): void {
  if (path.length > 0) {
    const key = JSON.stringify(path);
    const type = typeOf(value);
    const had = pending.get(key);
    // A sub-column null typed `undefined` takes a scalar or an object, never a list (6.4.3).
    if (had === 'undefined' && Array.isArray(value)) {
      if (analysed.get(key) === 'undefined') throw rowError(5000, 'NullPointerException[null]');
      throw rowError(
        4000,
        `SQLParseException[Column \`data${path.map((p) => `['${p}']`).join('')}\` already exists with type \`undefined\`. Cannot add same column with type \`${type}\`]`,
      );
    }
    if (had === undefined || had === 'undefined' || (had === 'undefined_array' && type.endsWith('_array'))) {
      pending.set(key, type);
    } else if (!analysed.has(key) && had !== type && type !== 'undefined' && type !== 'undefined_array') {
      throw rowError(4000, `SQLParseException[Cannot cast object element \`${path.at(-1)}\` with value \`${display(value)}\` to type \`${had}\`]`);
    }
  }
  if (Array.isArray(value)) value.forEach((v) => isPlainObject(v) && typeEntries(v, path, pending, analysed));
  else if (isPlainObject(value)) typeEntries(value, path, pending, analysed);
}

function typeEntries(obj: Record<string, unknown>, path: string[], pending: Map<string, string>, analysed: Map<string, string>): void {
  for (const [k, v] of Object.entries(obj)) typeNew(v, [...path, k], pending, analysed);
}

function changesMapping(pending: Map<string, string>, types: Map<string, string>): boolean {
  for (const [path, type] of pending) if (types.get(path) !== type) return true;
  return false;
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
  if (v === null) return 'undefined';
  if (typeof v === 'string') return 'text';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'bigint' : 'double precision';
  if (isLosslessNumber(v)) return /[.eE]/.test(v.value) ? 'double precision' : 'bigint';
  if (Array.isArray(v)) {
    const first = v.find((x) => x !== null);
    return first === undefined ? 'undefined_array' : `${typeOf(first)}_array`;
  }
  return 'object';
}

function display(value: unknown): string {
  if (isLosslessNumber(value)) return value.value;
  if (isPlainObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${display(v)}`)
      .join(', ')}}`;
  return String(value);
}

function unquote(identifier: string): string {
  return identifier.slice(1, -1).replaceAll('""', '"');
}

/** `UPDATE … SET "a" = ?, "b" = ? WHERE "pk" = ? AND …`: the columns of its parameters, in order. */
function updatedColumnsOf(stmt: string): string[] {
  return [...stmt.matchAll(/"((?:[^"]|"")+)" = \?/g)].map((m) => m[1]!.replaceAll('""', '"'));
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
/**
 * The names information_schema gives, from pg_catalog: PostgreSQL's information_schema views
 * check privileges row by row, which cost PGlite 7–15 ms a lookup, and the sink looks up every
 * table it meets. The stand-in answers `data[…]` and `pk[…]` sub-columns itself.
 */
const CATALOG_VIEWS = `CREATE SCHEMA standin_catalog;
CREATE VIEW standin_catalog.tables AS
  SELECT n.nspname::text AS table_schema, c.relname::text AS table_name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f');
CREATE VIEW standin_catalog.columns AS
  SELECT n.nspname::text AS table_schema, c.relname::text AS table_name, a.attname::text AS column_name
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f');`;

export function toPostgres(stmt: string): string {
  let n = 0;
  let pg = stmt
    // A parameter is a `?` outside quotes: a key `'{"id":"?"}'` in a literal stays as it is.
    .replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (token) => (token === '?' ? `$${++n}` : token))
    .replace(/\binformation_schema\.(tables|columns)\b/g, 'standin_catalog.$1')
    .replace(/(?:"pk"|\bpk) OBJECT\(STRICT\) AS \([^)]*\)/g, '"pk" jsonb NOT NULL')
    .replace(/"pk"\['((?:[^']|'')*)'\]/g, `("pk"->>'$1')`)
    .replace(/\bSTRING\b/g, 'text')
    .replace(/ARRAY\(OBJECT\(IGNORED\)\)|OBJECT\(DYNAMIC\)|OBJECT\(IGNORED\)/g, 'jsonb')
    .replace(/TEXT INDEX OFF STORAGE WITH \(columnstore = false\)/g, 'text')
    .replace(/TIMESTAMP WITH TIME ZONE/g, 'bigint')
    .replace(/\nCLUSTERED INTO \d+ SHARDS/g, '')
    .replace(/\nWITH \("number_of_replicas" = '[^']*'\)/g, '')
    .replace(/= ANY\(\[/g, '= ANY(ARRAY[')
    .replace(/= ANY\((\$\d+)\)/g, '= ANY($1::text[])')
    .replace(/"_seq_no" = (\$\d+)/g, 'xmin::text = $1::text')
    .replace(/"_primary_term" = (\$\d+)/g, '1 = $1::int')
    .replace(/"_seq_no"/g, 'xmin::text::bigint AS "_seq_no"')
    .replace(/"_primary_term"/g, '1 AS "_primary_term"');
  // CrateDB reads a bare column in ON CONFLICT … SET as the stored row; PostgreSQL wants it qualified.
  const upsert = /^(INSERT INTO "(?:[^"]|"")+"\."(?:[^"]|"")+")( \([\s\S]*ON CONFLICT \([^\n]*\) DO UPDATE SET\n)([\s\S]*)$/.exec(pg);
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
