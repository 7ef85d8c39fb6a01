import { parse, stringify } from 'lossless-json';
import { Pool } from 'undici';
import { parseCrateDbUrl } from '../../src/sink/cratedb/cratedb-url.js';

/** A real CrateDB for the live suites (`npm run test:cratedb`); unset, those suites are skipped. */
export const crateDbUrl = process.env.CRATEDB_URL;

export interface LiveQuery {
  /** SQL with `$n` or `?` parameters, in `schema`; a SELECT refreshes its table first. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Drops every table of the schema (CrateDB has no DROP SCHEMA), then closes the connections. */
  dropSchema(): Promise<void>;
}

/** Test-side SQL against a live CrateDB over `/_sql`, numbers parsed without loss. */
export function liveQuery(url: string, schema: string): LiveQuery {
  const target = parseCrateDbUrl(url);
  const auth = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  // Connections of our own: CrateDB binds Default-Schema to the connection (CONTEXT.md §3).
  const pool = new Pool(target.origin, { connections: 2 });
  const run = async (stmt: string, args: unknown[] = []) => {
    const response = await pool.request({
      path: '/_sql',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth, 'default-schema': schema },
      body: stringify({ stmt, args }),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`CrateDB ${response.statusCode}: ${text} (${stmt})`);
    return parse(text) as { cols: string[]; rows: unknown[][] };
  };
  return {
    async query<T>(text: string, params: unknown[] = []) {
      const from = /^\s*SELECT[\s\S]*?\bFROM\s+("?)([\w]+)\1/i.exec(text);
      // Only primary-key lookups see writes before a refresh.
      if (from) await run(`REFRESH TABLE "${from[2]}"`).catch(() => undefined);
      const { cols, rows } = await run(text.replace(/\$\d+/g, '?'), params);
      return rows.map((row) => Object.fromEntries(cols.map((c, i) => [c, row[i]])) as T);
    },
    async dropSchema() {
      const { rows } = await run('SELECT table_name FROM information_schema.tables WHERE table_schema = ?', [schema]);
      for (const [table] of rows) await run(`DROP TABLE IF EXISTS "${schema}"."${String(table)}"`);
      await pool.close();
    },
  };
}

/** `data` and `aux` as JSON text, numbers as CrateDB returned them. */
export function jsonText(value: unknown): string {
  return stringify(value) ?? 'null';
}
