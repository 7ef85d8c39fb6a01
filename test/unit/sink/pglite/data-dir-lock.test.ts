import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabaseError, LOCK_FILE, lockDataDir, type LockHolder } from '../../../../src/sink/pglite/data-dir-lock.js';

// The lock's rules on a real folder; test/integration/pglite-lock.test.ts runs them with real processes.
const root = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
let n = 0;
const folder = () => {
  const dir = join(root, String(n++));
  mkdirSync(dir, { recursive: true });
  return dir;
};
const holderIn = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
const plant = (dir: string, holder: Partial<LockHolder>, ageSeconds = 0) => {
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, JSON.stringify({ pid: 1, host: hostname(), bootId: null, startTicks: null, since: 'then', token: 'planted', ...holder }));
  const then = new Date(Date.now() - ageSeconds * 1000);
  utimesSync(path, then, then);
};
const ownBoot = () => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
};
// A pid that no process has: a child that has exited.
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('lockDataDir', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('holds the folder for this process and gives it back', () => {
    const dir = folder();
    const lock = lockDataDir(dir);
    expect(holderIn(dir)).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => lockDataDir(dir)).toThrow(EmbeddedDatabaseError);
    lock.release();
    lockDataDir(dir).release();
  });

  it('refuses a folder whose holder lives, naming it', () => {
    const dir = folder();
    plant(dir, { pid: process.ppid, bootId: ownBoot() });
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`is in use by process ${process.ppid} on this machine \\(since then\\)`));
  });

  it('takes over the lock of a dead process, and of a live pid that started at another time (reused)', () => {
    for (const holder of [{ pid: deadPid() }, { pid: process.ppid, startTicks: '1' }]) {
      const dir = folder();
      plant(dir, { ...holder, bootId: ownBoot() });
      const lock = lockDataDir(dir);
      expect(holderIn(dir).pid).toBe(process.pid);
      lock.release();
    }
  });

  it('trusts a holder on another machine while its lock is refreshed, and takes it over once it has gone silent', () => {
    const dir = folder();
    plant(dir, { host: 'other-container' }, 5);
    expect(() => lockDataDir(dir, { staleAfterMs: 60_000 })).toThrow(/in use by process 1 on host other-container/);
    plant(dir, { host: 'other-container' }, 120);
    lockDataDir(dir, { staleAfterMs: 60_000 }).release();
  });

  it('takes over a lock file left empty by a process killed as it created it, once it is old enough', () => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), '');
    const then = new Date(Date.now() - 10_000);
    utimesSync(join(dir, LOCK_FILE), then, then);
    lockDataDir(dir).release();
  });

  it('never removes a lock that is no longer its own, and says when it lost it', async () => {
    const dir = folder();
    let lost = '';
    const lock = lockDataDir(dir, { heartbeatMs: 20, onLost: (path) => (lost = path) });
    plant(dir, { host: 'other-container', token: 'someone else' });
    await new Promise((r) => setTimeout(r, 100));
    expect(lost).toBe(join(dir, LOCK_FILE));
    lock.release();
    expect(holderIn(dir).token).toBe('someone else');
  });
});
