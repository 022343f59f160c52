import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/db/client.js';
import { type OwnerRecord, ownRecord, parseRecord } from '../../src/adapters/db/store-owner.js';
import { MAX_SOCKET_PATH } from '../../src/adapters/db/store-socket.js';
import { isDeckhandError } from '../../src/domain/errors.js';
import { killAllChildren, startNode } from '../helpers/child-lines.js';

// Needs only node and the file system: no Docker, no Postgres server, so nothing to skip.
const CHILD = 'test/helpers/store-child.ts';
const root = mkdtempSync(join(tmpdir(), 'f-store-lock-'));
let n = 0;
const freshDir = () => join(root, `d${++n}`, 'db');

/** A pid that certainly ran on this host and is now gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function writeLock(dbDir: string, record: Partial<OwnerRecord>): void {
  mkdirSync(join(dbDir, '..'), { recursive: true });
  writeFileSync(`${dbDir}.lock`, JSON.stringify({ ...ownRecord(`${dbDir}.sock`), ...record }));
}

afterEach(killAllChildren);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the embedded store has one owner: the lock', () => {
  it('takes over a lock whose pid is dead, and releases it on close', async () => {
    const dbDir = freshDir();
    const dead = deadPid();
    writeLock(dbDir, { pid: dead, startedAt: '2020-01-01T00:00:00.000Z' });
    const database = await openDatabase({ dataDir: dbDir });
    try {
      expect(parseRecord(readFileSync(`${dbDir}.lock`, 'utf8'))?.pid).toBe(process.pid);
      await database.db.execute(sql`select count(*) from deployments`);
    } finally {
      await database.close();
    }
    expect(existsSync(`${dbDir}.lock`)).toBe(false);
    expect(existsSync(`${dbDir}.sock`)).toBe(false);
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    const dbDir = freshDir();
    writeLock(dbDir, { pid: deadPid() });
    const go = join(root, `go-${n}`);
    const racers = Array.from({ length: 5 }, () => startNode(CHILD, ['acquire', `${dbDir}.lock`, go]));
    await Promise.all(racers.map((racer) => racer.waitFor((line) => 'waiting' in line)));
    writeFileSync(go, '');
    const results = await Promise.all(racers.map((racer) => racer.waitFor((line) => 'owned' in line)));
    const winners = results.filter((result) => result.owned === true);
    expect(winners).toHaveLength(1);
    expect(parseRecord(readFileSync(`${dbDir}.lock`, 'utf8'))?.pid).toBe(winners[0]!.pid);
    // No claim files are left behind by the takeover.
    expect(readdirSync(join(dbDir, '..')).filter((name) => name.includes('takeover'))).toEqual([]);
  });

  it('after kill -9 of the owner, two processes arriving together: one takes over, the other goes through it (or after it), neither is refused', async () => {
    const dbDir = freshDir();
    const owner = startNode(CHILD, ['open', dbDir]);
    await owner.waitFor((line) => 'open' in line);
    owner.kill('SIGKILL');
    await owner.exited;
    // The dead owner's lock and socket file are both still there.
    expect(existsSync(`${dbDir}.lock`) && existsSync(`${dbDir}.sock`)).toBe(true);
    const next = ['after-a', 'after-b'].map((tag) => startNode(CHILD, ['contend', dbDir, tag, '5']));
    const results = await Promise.all(next.map((child) => child.waitFor((line) => 'ids' in line || 'error' in line)));
    expect(results.map((result) => result.error), JSON.stringify(results)).toEqual([undefined, undefined]);
    expect(new Set(results.flatMap((result) => result.ids as number[])).size).toBe(10);
    expect(results.flatMap((result) => result.won as number[]).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses at once, by pid and with the fix, when a live owner cannot be reached, and never opens the files', async () => {
    const dbDir = freshDir();
    // A live process on this host that does not serve the store: a child waiting for a go file that never comes.
    const live = startNode(CHILD, ['acquire', join(root, 'never.lock'), join(root, 'never-go')]);
    await live.waitFor((line) => 'waiting' in line);
    writeLock(dbDir, { pid: live.pid, startTime: undefined, socket: join(root, 'no-such.sock'), startedAt: '2020-01-01T00:00:00.000Z' });
    const error = await openDatabase({ dataDir: dbDir }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isDeckhandError(error, 'database_unavailable')).toBe(true);
    expect((error as Error).message).toContain(`pid ${live.pid}`);
    expect((error as Error).message).toContain('DATABASE_URL');
    expect((error as Error).message).not.toMatch(/select|insert|at .*\.ts/i);
    expect(existsSync(dbDir)).toBe(false);
    // The live owner's lock is left alone.
    expect(parseRecord(readFileSync(`${dbDir}.lock`, 'utf8'))?.pid).toBe(live.pid);
  });

  it("waits for a young owner whose socket file still refuses (it took over and has not yet removed the dead owner's), instead of refusing", async () => {
    const dbDir = freshDir();
    mkdirSync(join(dbDir, '..'), { recursive: true });
    const socket = join(root, `stale-${n}.sock`);
    // The dead owner's socket file: bound by a process that was then killed -9, so it stays, and connecting is refused.
    const dead = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => dead.stdout!.once('data', resolve));
    dead.kill('SIGKILL');
    await new Promise((resolve) => dead.once('exit', resolve));
    expect(existsSync(socket)).toBe(true);
    // The new owner: alive, its lock written a moment ago, its socket not served yet.
    const young = startNode(CHILD, ['acquire', join(root, `young-${n}.lock`), join(root, `young-${n}-go`)]);
    await young.waitFor((line) => 'waiting' in line);
    writeLock(dbDir, { pid: young.pid, startTime: undefined, socket, startedAt: new Date().toISOString() });

    let outcome: 'pending' | 'opened' | 'refused' = 'pending';
    const opening = openDatabase({ dataDir: dbDir }).then(
      (database) => ((outcome = 'opened'), database),
      (error: unknown) => ((outcome = 'refused'), Promise.reject(error)),
    );
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(outcome).toBe('pending');
    // That owner dies before it serves: the waiting process takes the store over and opens it.
    young.kill('SIGKILL');
    const database = await opening;
    try {
      expect(parseRecord(readFileSync(`${dbDir}.lock`, 'utf8'))?.pid).toBe(process.pid);
      await database.db.execute(sql`select 1`);
    } finally {
      await database.close();
    }
  });

  it('a lock from another pid namespace on this kernel (a replaced container) is taken over when its socket has no listener', async () => {
    const dbDir = freshDir();
    mkdirSync(join(dbDir, '..'), { recursive: true });
    // A socket file whose listener was killed -9: it stays on disk and refuses connections.
    const listener = startNode('-e', [`require('net').createServer().listen(${JSON.stringify(`${dbDir}.sock`)}, () => console.log('{"up":true}'))`]);
    await listener.waitFor((line) => line.up === true);
    listener.kill('SIGKILL');
    await listener.exited;
    expect(existsSync(`${dbDir}.sock`)).toBe(true);
    writeLock(dbDir, { pid: 1, pidNamespace: 'pid:[1]', hostname: 'old-container' });
    const database = await openDatabase({ dataDir: dbDir });
    try {
      expect(parseRecord(readFileSync(`${dbDir}.lock`, 'utf8'))?.pid).toBe(process.pid);
    } finally {
      await database.close();
    }
  });

  it('a lock from another host whose socket cannot be reached is refused, naming the host', async () => {
    const dbDir = freshDir();
    writeLock(dbDir, { pid: 4242, hostname: 'elsewhere', bootId: 'another-kernel', pidNamespace: 'pid:[1]', startedAt: '2020-01-01T00:00:00.000Z' });
    const error = await openDatabase({ dataDir: dbDir }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isDeckhandError(error, 'database_unavailable')).toBe(true);
    expect((error as Error).message).toContain('pid 4242 on host elsewhere');
    expect(existsSync(dbDir)).toBe(false);
  });

  it('a second open in the same process goes through the owner instead of opening the files again', async () => {
    const dbDir = freshDir();
    const owner = await openDatabase({ dataDir: dbDir });
    try {
      const second = await openDatabase({ dataDir: dbDir });
      try {
        await second.db.execute(sql`insert into locks (name, holder, acquired_at, expires_at) values ('f-store-same', 'second', now(), now())`);
        const rows = await owner.db.execute(sql`select holder from locks where name = 'f-store-same'`);
        expect(JSON.stringify(rows)).toContain('second');
      } finally {
        await second.close();
      }
      expect(parseRecord(readFileSync(`${dbDir}.lock`, 'utf8'))?.pid).toBe(process.pid);
    } finally {
      await owner.close();
    }
  });

  it('serves a store whose path is too long for a Unix socket from a short private path, recorded in the lock', async () => {
    const deep = join(root, 'x'.repeat(60), 'y'.repeat(60), 'db');
    expect(Buffer.byteLength(`${deep}.sock`)).toBeGreaterThan(MAX_SOCKET_PATH);
    const owner = await openDatabase({ dataDir: deep });
    const record = parseRecord(readFileSync(`${deep}.lock`, 'utf8'))!;
    try {
      expect(record.socket.startsWith(tmpdir())).toBe(true);
      expect(Buffer.byteLength(record.socket)).toBeLessThanOrEqual(MAX_SOCKET_PATH);
      const client = startNode(CHILD, ['contend', deep, 'longpath', '3']);
      const result = await client.waitFor((line) => 'ids' in line);
      expect(result.ids).toHaveLength(3);
      expect(await client.exited).toBe(0);
    } finally {
      await owner.close();
    }
    expect(existsSync(join(record.socket, '..'))).toBe(false);
  });

  it('creates a new store atomically: a creation killed midway leaves no half-made store, and the next open works', async () => {
    const dbDir = freshDir();
    const parent = join(dbDir, '..');
    const creator = startNode(CHILD, ['open', dbDir]);
    // Kill -9 as soon as the store is being built in its temporary sibling.
    for (let i = 0; i < 6000 && !readdirSyncSafe(parent).some((name) => name.startsWith('db.creating-')); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    creator.kill('SIGKILL');
    await creator.exited;
    expect(readdirSyncSafe(parent).some((name) => name.startsWith('db.creating-'))).toBe(true);
    expect(existsSync(dbDir)).toBe(false);
    const database = await openDatabase({ dataDir: dbDir });
    try {
      await database.db.execute(sql`select count(*) from deployments`);
    } finally {
      await database.close();
    }
    expect(readdirSyncSafe(parent).filter((name) => name.startsWith('db.creating-'))).toEqual([]);
  });
});

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
