import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** The embedded database cannot be used by this process; the message says why and what to do. */
export class EmbeddedDatabaseError extends Error {
  constructor(
    readonly code: 'PGLITE_DIR_IN_USE' | 'PGLITE_DIR_UNLOCKABLE' | 'PGLITE_DIR_UNOPENABLE' | 'EMBEDDED_SQL_PORT_IN_USE' | 'EMBEDDED_SQL_PORT_UNAVAILABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddedDatabaseError';
  }
}

/** Who holds a folder: written into the lock file when it is created, never changed after. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** Linux's boot id: with the host name, says whether the holder runs on this machine, this boot. */
  readonly bootId: string | null;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat): a reused pid has another. */
  readonly startTicks: string | null;
  readonly since: string;
  readonly token: string;
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still this process's; later calls do nothing. */
  release(): void;
}

export interface LockOptions {
  /** A holder on another machine (or container) is taken for dead once its lock is this old. */
  readonly staleAfterMs?: number;
  /** How often the holder refreshes its lock file's time, for holders elsewhere to see it alive. */
  readonly heartbeatMs?: number;
  /** Called when the lock file is no longer this process's (removed, or taken over as stale). */
  readonly onLost?: (path: string) => void;
}

export const LOCK_FILE = 'cdc-sink.lock';
// A creator writes its lock file right after creating it: an empty or torn one younger than this is being written.
const WRITING_MS = 2000;
const TAKEOVER_STALE_MS = 10_000;

/**
 * Makes this process the only one to open `dir`: PGlite has no lock of its own, and two processes
 * on one folder both answer 200 and lose writes. The lock is a file created with O_EXCL holding
 * the holder's pid, start time, host and boot. A second process finds it and refuses, unless its
 * holder is dead: on this machine, no live process has that pid and start time (a SIGKILL leaves
 * the file behind); elsewhere (a shared volume), its time has not been refreshed for
 * `staleAfterMs`. A dead holder's lock is taken over under a takeover directory (mkdir is atomic),
 * so that of two processes finding it stale at once only one removes it, and only that one file.
 */
export function lockDataDir(dir: string, options: LockOptions = {}): DataDirLock {
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { ...thisMachine(), pid: process.pid, startTicks: startTicksOf(process.pid), since: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (tryCreate(path, me)) return held(path, me, options);
    const found = readHolder(path);
    if (found === 'missing') continue;
    if (found === 'unreadable') {
      if (ageMs(path) < WRITING_MS) {
        pause(50);
        continue;
      }
    } else if (isAlive(found, path, staleAfterMs)) {
      throw new EmbeddedDatabaseError('PGLITE_DIR_IN_USE', inUseMessage(dir, found, path));
    }
    takeOver(path, found);
  }
  throw new EmbeddedDatabaseError(
    'PGLITE_DIR_UNLOCKABLE',
    `PGLITE_DIR ${resolve(dir)}: could not take the lock ${path} (other processes keep racing for it); try again`,
  );
}

function held(path: string, me: LockHolder, options: LockOptions): DataDirLock {
  let released = false;
  const ours = () => {
    const now = readHolder(path);
    return typeof now === 'object' && now.token === me.token;
  };
  const heartbeat = setInterval(() => {
    try {
      if (ours()) {
        const now = new Date();
        utimesSync(path, now, now);
        return;
      }
    } catch {
      // unreadable now: no longer known to be ours
    }
    clearInterval(heartbeat);
    options.onLost?.(path);
  }, options.heartbeatMs ?? 10_000);
  heartbeat.unref();
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.removeListener('exit', release);
    try {
      if (ours()) unlinkSync(path);
    } catch {
      // gone already, or the folder with it: nothing left to release
    }
  };
  // Whatever way the process ends, short of SIGKILL: the database is closed by then.
  process.on('exit', release);
  return { path, release };
}

function tryCreate(path: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new EmbeddedDatabaseError('PGLITE_DIR_UNLOCKABLE', `cannot create the lock ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): LockHolder | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new EmbeddedDatabaseError('PGLITE_DIR_UNLOCKABLE', `cannot read the lock ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isSafeInteger(holder.pid) && typeof holder.token === 'string' ? holder : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Removes the dead holder's lock, unless someone else has replaced it meanwhile. */
function takeOver(path: string, stale: LockHolder | 'unreadable'): void {
  const mutex = `${path}.takeover`;
  try {
    mkdirSync(mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is taking over; one killed in the middle of it leaves the directory behind.
    if (ageMs(mutex) > TAKEOVER_STALE_MS) rmSync(mutex, { recursive: true, force: true });
    else pause(50);
    return;
  }
  try {
    const now = readHolder(path);
    const same = now === 'unreadable' ? stale === 'unreadable' : now !== 'missing' && stale !== 'unreadable' && now.token === stale.token;
    if (same) unlinkSync(path);
  } finally {
    rmSync(mutex, { recursive: true, force: true });
  }
}

function isAlive(holder: LockHolder, path: string, staleAfterMs: number): boolean {
  const here = thisMachine();
  if (holder.host !== here.host || holder.bootId !== here.bootId) return ageMs(path) < staleAfterMs;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // A live process with that pid; unless it started at another time, it is the holder.
  const ticks = startTicksOf(holder.pid);
  return ticks === null || holder.startTicks === null || ticks === holder.startTicks;
}

function inUseMessage(dir: string, holder: LockHolder, path: string): string {
  const where = holder.host === thisMachine().host ? 'on this machine' : `on host ${holder.host}`;
  return (
    `PGLITE_DIR ${resolve(dir)} is in use by process ${holder.pid} ${where} (since ${holder.since}): ` +
    'the embedded database can be opened by one process at a time. Stop that process first ' +
    `(a killed one's lock, ${path}, is taken over by the next start), or set SINK_URL to a PostgreSQL server to run several.`
  );
}

function thisMachine(): { host: string; bootId: string | null } {
  let bootId: string | null = null;
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // not Linux: the host name alone
  }
  return { host: hostname(), bootId };
}

function startTicksOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
