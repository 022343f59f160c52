import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoreEvent } from '../../src/adapters/db/store-process.js';
import { type LineChild, killAllChildren, startNode } from '../helpers/child-lines.js';
import { childProcess, running } from '../helpers/proc.js';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js';
import { until } from '../helpers/until.js';

const RUNNER = 'test/helpers/store-process-runner.ts';
const peakMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
type Outcome = { events: StoreEvent[]; ready?: { deployments: number }; error?: { code: string; message: string } };

/** The runner's events and how its start ended (ready, or the error it was refused with). */
async function outcome(runner: LineChild): Promise<Outcome> {
  const last = await runner.waitFor((line) => 'ready' in line || 'error' in line, 60_000);
  const events = runner.lines.filter((line) => 'event' in line).map((line) => line.event as StoreEvent);
  return { events, ...(last.ready ? { ready: { deployments: last.deployments as number } } : { error: last.error as Outcome['error'] }) };
}

/**
 * The bot's store process creates a new embedded store in a short-lived process of its own: PGlite's initdb leaves
 * hundreds of MB in a process's WebAssembly memory that it never gives back, and the store process lives as long as
 * the bot. Real PGlite, real processes (the store process is started as the bot starts it, by a runner under tsx).
 */
describe('a new embedded store is created apart from the process that serves it', () => {
  const work = mkdtempSync(join(tmpdir(), 'dk-create-apart-'));
  const start = (dbDir: string) => startNode(RUNNER, [dbDir]);
  const stop = async (runner: LineChild) => {
    runner.kill('SIGTERM');
    const code = await runner.exited;
    expect(code, runner.stderr()).toBe(0);
  };
  afterAll(async () => {
    await killAllChildren();
    rmSync(work, { recursive: true, force: true });
  });

  it('the creating process exits and the store process never held its memory; a creator killed midway leaves nothing half-made', async () => {
    const parent = join(work, 'store');
    const dbDir = join(parent, 'db');
    mkdirSync(parent);
    // Killed midway: the start fails, and no half-made store is left at dbDir.
    const killed = start(dbDir);
    const storePid = await until('the store process', () => childProcess(killed.pid, 'store-main'), 20_000);
    const creator = await until('the creating process', () => childProcess(storePid, 'store-create-main'), 20_000);
    await until('the creation under way', () => readdirSync(parent).some((name) => name.startsWith('db.creating-')), 20_000);
    process.kill(creator, 'SIGKILL');
    const refused = await outcome(killed);
    expect(refused.error).toMatchObject({ code: 'database_unavailable', message: expect.stringMatching(/creating the embedded store .* stopped before it finished \(SIGKILL\)/) });
    expect(existsSync(dbDir)).toBe(false);

    // The next start creates it, apart: the creator has exited, and the serving process's peak is far below its own.
    const runner = start(dbDir);
    const first = await outcome(runner);
    expect(first.ready).toEqual({ deployments: 0 });
    const serving = first.events.find((event) => event.type === 'serving');
    if (serving?.type !== 'serving' || !serving.created) throw new Error(`no store created apart: ${JSON.stringify(first.events)}`);
    const { created } = serving;
    expect(created.pid).not.toBe(serving.pid);
    expect(running(created.pid)).toBe(false);
    expect(peakMb(serving.pid)).toBeLessThan(created.peakMb * 0.75);
    expect(readdirSync(parent).filter((name) => name.startsWith('db.creating-'))).toEqual([]);
    await stop(runner);

    // A later start opens the existing store: nothing is created.
    const again = start(dbDir);
    const second = await outcome(again);
    expect(second.ready).toEqual({ deployments: 0 });
    expect(second.events.filter((event) => event.type === 'serving')).toEqual([expect.not.objectContaining({ created: expect.anything() })]);
    await stop(again);
  });

  it('a creation that hangs is killed at its bound, and the start says so', async () => {
    const runner = startNode(RUNNER, ['create', join(work, 'hung'), '3000']);
    const creator = await until('the creating process', () => childProcess(runner.pid, 'store-create-main'), 20_000);
    // A stuck disk, as the process sees it: it stops making progress.
    process.kill(creator, 'SIGSTOP');
    try {
      const last = await runner.waitFor((line) => 'created' in line || 'error' in line, 60_000);
      expect(last.error).toMatchObject({ code: 'database_unavailable', message: expect.stringMatching(/took over 3 s, so it was stopped/) });
      expect(running(creator)).toBe(false);
      expect(await runner.exited).toBe(1);
    } finally {
      // Never leave a stopped process behind, whatever failed.
      if (running(creator)) process.kill(creator, 'SIGKILL');
    }
  });

  it('a full disk at creation is told as disk_full, as the creator saw it', async () => {
    const disk = join(work, 'full');
    mkdirSync(disk);
    if (!mountTmpfs(disk, '64m')) return;
    try {
      fillDisk(join(disk, 'filler'));
      const refused = await outcome(start(join(disk, 'db')));
      expect(refused.error).toMatchObject({ code: 'disk_full' });
    } finally {
      execFileSync('umount', ['-l', disk]);
    }
  });
});
