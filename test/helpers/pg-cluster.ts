import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { infraRequired } from './infra.js';
import { freePort } from './ports.js';

/** A Postgres cluster of the test's own, which the test may stop and start (or kill) mid-run. */
export interface PgCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Stops the server, keeping its data: `fast` (default) ends sessions cleanly, `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the server again on the same port, with the same data. */
  start(): Promise<void>;
  /**
   * Crashes the server (`immediate`) and returns only once it is down, blocking the event loop meanwhile: the fault
   * lands exactly where this is called (e.g. inside a deploy event listener), before the code under test goes on.
   */
  crashNow(): void;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Freezes every server process (SIGSTOP): connections stay open and nothing answers, like a host that vanished. */
  freeze(): Promise<void>;
  /** Lets frozen processes run again (SIGCONT). */
  thaw(): Promise<void>;
  /** Stops the server (immediate) and removes its files. Safe to call twice. */
  dispose(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no Postgres binaries under ${root}`);
  return join(root, newest, 'bin');
}

const asRoot = process.getuid?.() === 0;

/** Whether this machine can run a cluster of our own (Postgres binaries present). Same skip rules as infra.ts. */
export function havePgCluster(): boolean {
  try {
    binDir();
    if (asRoot) postgresIds();
    return true;
  } catch (error) {
    const reason = `a Postgres cluster of our own cannot be started: ${(error as Error).message}`;
    if (infraRequired) throw new Error(`${reason} (DECKHAND_REQUIRE_INFRA=1, so this suite must not skip)`);
    console.warn(`\n!!!!!!!! SKIPPING Postgres-cluster SUITES: ${reason}. Set DECKHAND_REQUIRE_INFRA=1 to make this a failure. !!!!!!!!\n`);
    return false;
  }
}

/** Runs a Postgres binary (as the `postgres` OS user when we are root: initdb and postgres refuse root). */
function run(binary: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  return new Promise((resolve, reject) => {
    execFile(command, argv, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no postgres OS user');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The postmaster (first line of postmaster.pid) and its children, read from /proc. */
function clusterPids(data: string): number[] {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(join('/proc', pid, 'stat'), 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

const live = new Set<string>();
let exitHookInstalled = false;

/** Last resort if a test process exits without dispose(): no orphan postmaster outlives the run. */
function installExitHook(pgCtl: string) {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of live) {
      try {
        for (const pid of clusterPids(join(dir, 'data'))) process.kill(pid, 'SIGCONT');
      } catch {
        // not running
      }
      const argv = ['stop', '-D', join(dir, 'data'), '-m', 'immediate', '-w', '-t', '10'];
      if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...argv], { timeout: 15_000 });
      else spawnSync(pgCtl, argv, { timeout: 15_000 });
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = binDir();
  const pgCtl = join(bin, 'pg_ctl');
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  live.add(dir);
  installExitHook(pgCtl);
  let running = false;
  let frozen: number[] = [];
  const thaw = async () => {
    for (const pid of frozen.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
  };
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await run(pgCtl, ['stop', '-D', data, '-m', mode, '-w', '-t', '30']);
    running = false;
  };
  const start = async () => {
    await run(pgCtl, ['start', '-D', data, '-l', log, '-w', '-t', '30']);
    running = true;
  };
  const crashNow = () => {
    const argv = ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30'];
    const result = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...argv], { timeout: 35_000 }) : spawnSync(pgCtl, argv, { timeout: 35_000 });
    if (result.status !== 0) throw new Error(`pg_ctl stop failed: ${String(result.stderr)}`);
    running = false;
  };
  const dispose = async () => {
    if (!live.has(dir)) return;
    await thaw();
    if (running) await stop('immediate').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
  };

  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    // Settings go into the config file (no `pg_ctl -o` string): loopback only, socket inside our own dir.
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        '',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'max_connections = 50',
        'shared_buffers = 16MB',
        '',
      ].join('\n'),
    );
    writeFileSync(join(data, 'pg_hba.conf'), ['local all all trust', 'host all all 127.0.0.1/32 trust', ''].join('\n'));
    await start();
  } catch (error) {
    await dispose();
    throw error;
  }

  return {
    url,
    port,
    stop,
    start,
    crashNow,
    dispose,
    thaw,
    freeze: async () => {
      frozen = clusterPids(data);
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGSTOP');
        } catch {
          // a child that just exited
        }
      }
    },
    createDatabase: async () => {
      const name = `deckhand_c_${randomBytes(6).toString('hex')}`;
      const admin = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => undefined });
      try {
        await admin.unsafe(`create database ${name}`);
      } finally {
        await admin.end({ timeout: 1 });
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
  };
}
