import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localProcesses } from '../../domain/locks/lease.js';
import { DeckhandError } from '../../domain/errors.js';
import { CaddyAdmin } from './caddy-admin.js';

export interface ManagedCaddyOptions {
  /** `<DECKHAND_DATA_DIR>/caddy`: admin socket, pidfile, start lock, Caddy's own config and data dirs, its log. */
  dir: string;
  /** The caddy binary (default: `caddy` on the PATH). */
  binary?: string;
  /** How long a start may take before it is reported as failed. */
  startTimeoutMs?: number;
}

/** `replaced`: a Caddy ran but did not answer on its admin socket (hung): it was killed and a new one started. */
export type EnsureOutcome = 'running' | 'adopted' | 'started' | 'replaced';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * deckhand's own Caddy: a detached process with its own pidfile, admin API on a Unix socket in the data dir, and its
 * config autosaved under the data dir (`--resume`), so it outlives deckhand and keeps every route through its own
 * restart. Any deckhand process (bot or CLI) adopts a running one; when it is gone, the first to take the start lock
 * starts it again and the others wait for it.
 */
export class ManagedCaddy {
  readonly socketPath: string;
  readonly pidFile: string;
  readonly admin: CaddyAdmin;
  private readonly lockFile: string;
  private readonly binary: string;
  private readonly startTimeoutMs: number;
  private adoptedPid: number | undefined;

  constructor(private readonly options: ManagedCaddyOptions) {
    this.socketPath = join(options.dir, 'admin.sock');
    this.pidFile = join(options.dir, 'caddy.pid');
    this.lockFile = join(options.dir, 'start.lock');
    this.binary = options.binary ?? 'caddy';
    this.startTimeoutMs = options.startTimeoutMs ?? 15_000;
    this.admin = new CaddyAdmin(`unix/${this.socketPath}`);
  }

  get adminUrl(): string {
    return `unix/${this.socketPath}`;
  }

  /** The pid in the pidfile when that process is alive. */
  pid(): number | undefined {
    const pid = Number(readText(this.pidFile)?.trim());
    return Number.isInteger(pid) && pid > 0 && localProcesses.alive(pid) ? pid : undefined;
  }

  /** Makes sure Caddy runs and answers on its socket; says whether it was already known, adopted, or started now. */
  async ensure(): Promise<EnsureOutcome> {
    const pid = this.pid();
    if (pid !== undefined && (await this.answers())) {
      const outcome = this.adoptedPid === pid ? 'running' : 'adopted';
      this.adoptedPid = pid;
      return outcome;
    }
    return this.startUnderLock(pid);
  }

  /** `silent`: the live pid that was just asked and did not answer (it is not asked a second time). */
  private async startUnderLock(silent?: number): Promise<EnsureOutcome> {
    mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
    const deadline = Date.now() + this.startTimeoutMs + 5_000;
    while (!this.tryLock()) {
      // Another deckhand process is starting it: wait for its Caddy instead of starting a second one.
      if (Date.now() > deadline) throw new DeckhandError('traffic_switch_failed', `Another deckhand process holds ${this.lockFile} and Caddy did not come up.`);
      await sleep(100);
      const pid = this.pid();
      if (pid !== undefined && (await this.answers())) {
        this.adoptedPid = pid;
        return 'adopted';
      }
    }
    try {
      const pid = this.pid();
      // Another process may have started a new one meanwhile; the one just asked is not asked again.
      if (pid !== undefined && pid !== silent && (await this.answers())) {
        this.adoptedPid = pid;
        return 'adopted';
      }
      // A live pid whose socket does not answer is a hung Caddy or a reused pid: neither is ours to keep using.
      const hung = pid !== undefined && readText(`/proc/${pid}/cmdline`)?.includes('caddy') === true;
      if (hung) process.kill(pid, 'SIGKILL');
      this.adoptedPid = await this.spawnCaddy();
      return hung ? 'replaced' : 'started';
    } finally {
      rmSync(this.lockFile, { force: true });
    }
  }

  /** O_EXCL create of the lock file; a lock left by a dead process (kill -9 mid-start) is taken over. */
  private tryLock(): boolean {
    try {
      const fd = openSync(this.lockFile, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readText(this.lockFile)?.trim());
      const age = Date.now() - (statSafe(this.lockFile) ?? Date.now());
      if ((Number.isInteger(holder) && holder > 0 && !localProcesses.alive(holder)) || age > this.startTimeoutMs + 5_000) rmSync(this.lockFile, { force: true });
      return false;
    }
  }

  private async spawnCaddy(): Promise<number> {
    const { dir } = this.options;
    const bootstrap = join(dir, 'bootstrap.json');
    writeFileSync(bootstrap, JSON.stringify({ admin: { listen: `unix/${this.socketPath}` }, logging: { logs: { default: { level: 'WARN' } } } }));
    rmSync(this.socketPath, { force: true });
    rmSync(this.pidFile, { force: true });
    const log = openSync(join(dir, 'caddy.log'), 'a', 0o600);
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
    // Detached in its own session, no pipes to us: a bot restart or kill -9 does not reach it.
    const child = spawn(this.binary, ['run', '--resume', '--config', bootstrap, '--pidfile', this.pidFile], { detached: true, stdio: ['ignore', log, log], env });
    closeSync(log);
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.once('error', (error) => (exited = error.message));
    child.unref();
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline && exited === undefined) {
      const pid = this.pid();
      if (pid !== undefined && (await this.answers())) return pid;
      await sleep(50);
    }
    if (exited === undefined && child.pid) process.kill(child.pid, 'SIGKILL');
    const tail = (readText(join(dir, 'caddy.log')) ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new DeckhandError('traffic_switch_failed', `deckhand could not start Caddy (${exited ?? 'no answer on its admin socket'}): ${tail}`);
  }

  private async answers(): Promise<boolean> {
    try {
      return (await this.admin.call('GET', '/config/')).status === 200;
    } catch {
      return false;
    }
  }

  /** Tests and `deckhand proxy stop`-like teardown: ends the Caddy named by the pidfile. */
  stop(): void {
    const pid = this.pid();
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The path of an executable named `name` on the PATH, or undefined. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(':').filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
