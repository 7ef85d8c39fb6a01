import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './service-process.js';

/**
 * (b) with the database on cores of its own, as in production (the database on its own hosts,
 * the service on a Fargate task's vCPUs): on a machine of two cores, a PostgreSQL sharing them
 * with the service measures the two programs' CPU added up, not whether the service keeps up with
 * the database. A private PostgreSQL server is started on the first half of the cores, and this
 * process (the load generator and the floor's client), with the service it spawns, is moved to
 * the other half for the passes: the floor and the service then meet the same database on the
 * same cores. Everything here was started by this process and is stopped by it.
 */
export interface CoreSplit {
  /** taskset's CPU lists: the database's cores, and the service's (with this process). */
  readonly database: string;
  readonly service: string;
}

/** The split, or why there is none (one core, no taskset, no PostgreSQL binaries). */
export function splitCores(postgresBin: string): CoreSplit | string {
  const cores = availableParallelism();
  if (cores < 2) return `${cores} core: nothing to split`;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return 'no taskset (util-linux)';
  }
  try {
    execFileSync(join(postgresBin, 'postgres'), ['--version'], { stdio: 'ignore' });
  } catch {
    return `no PostgreSQL server binaries in ${postgresBin} (BENCH_POSTGRES_BIN)`;
  }
  const half = cores >> 1;
  return { database: `0-${half - 1}`, service: `${half}-${cores - 1}` };
}

export interface OwnPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

/** initdb's defaults are those of the test server (shared_buffers 128MB, fsync on, max_wal_size 1GB). */
export async function startOwnPostgres(postgresBin: string, cores: string): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  // PostgreSQL refuses to run as root: as the postgres user, when this runs as root.
  const asUser = process.getuid?.() === 0 ? userIds('postgres') : undefined;
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const data = join(dir, 'data');
  try {
    execFileSync(join(postgresBin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], {
      stdio: 'ignore',
      ...asUser,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb into ${data} failed`, { cause: error });
  }
  const port = await freePort();
  const server = spawn(
    'taskset',
    ['-c', cores, join(postgresBin, 'postgres'), '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_wal_size=1GB'],
    { stdio: ['ignore', 'ignore', 'ignore'], ...asUser },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGINT'); // fast shutdown
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return { url, stop };
    } catch {
      await client.end().catch(() => undefined);
    }
    if (i > 100 || server.exitCode !== null) {
      await stop();
      throw new Error(`the bench's own PostgreSQL did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function userIds(name: string): { uid: number; gid: number } {
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim()));
  return { uid: uid!, gid: gid! };
}

/**
 * Moves all of this process's threads to `cores` (the service spawned afterwards inherits them);
 * answers the function that puts them back where they were.
 */
export function pinThisProcess(cores: string): () => void {
  const before = /:\s*(\S+)\s*$/.exec(execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }))![1]!;
  execFileSync('taskset', ['-a', '-pc', cores, String(process.pid)], { stdio: 'ignore' });
  return () => execFileSync('taskset', ['-a', '-p', before, String(process.pid)], { stdio: 'ignore' });
}
