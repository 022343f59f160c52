import { createHash, randomUUID } from 'node:crypto';
import { linkSync, readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who owns an embedded store: written once, atomically (a complete temp file hard-linked into place, which fails
 * if the lock exists), before PGlite opens the directory. `nonce` makes every lock distinct, so a takeover can
 * check it removes exactly the stale lock it judged and not a newer one.
 */
export interface OwnerRecord {
  pid: number;
  hostname: string;
  /** Linux: the kernel's boot id, and the pid namespace; pids mean something only where both match. */
  bootId?: string;
  pidNamespace?: string;
  /** Linux: the process start time (clock ticks since boot), so a reused pid is not mistaken for the owner. */
  startTime?: string;
  /** Where the owner serves the store (Unix socket). */
  socket: string;
  startedAt: string;
  nonce: string;
}

/** Nonces of the locks this process holds, so a second open in the same process sees a live owner. */
const heldHere = new Set<string>();

export type Liveness = 'alive' | 'dead' | 'unknown';

export type Acquired = { owned: true; record: OwnerRecord; release(): void } | { owned: false; record: OwnerRecord };

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

const quiet = (fn: () => void) => {
  try {
    fn();
  } catch {
    /* already gone */
  }
};

function procStartTime(pid: number): string | undefined {
  const stat = read(`/proc/${pid}/stat`);
  // Field 22 counts from after the command name, which may itself hold spaces and parentheses.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function machine(): Pick<OwnerRecord, 'hostname' | 'bootId' | 'pidNamespace'> {
  let pidNamespace: string | undefined;
  try {
    pidNamespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    pidNamespace = undefined;
  }
  return { hostname: hostname(), bootId: read('/proc/sys/kernel/random/boot_id')?.trim(), pidNamespace };
}

export function ownRecord(socket: string): OwnerRecord {
  return { pid: process.pid, ...machine(), startTime: procStartTime(process.pid), socket, startedAt: new Date().toISOString(), nonce: randomUUID() };
}

export function parseRecord(raw: string | undefined): OwnerRecord | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as OwnerRecord;
    return Number.isInteger(value.pid) && typeof value.hostname === 'string' && typeof value.socket === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the process named by a lock still runs, judged only where pids are comparable (same host, same boot,
 * same pid namespace). `unknown` means another host or namespace: the caller must find out some other way.
 */
export function liveness(record: OwnerRecord): Liveness {
  const here = machine();
  if (record.hostname !== here.hostname || record.pidNamespace !== here.pidNamespace) return 'unknown';
  if (record.bootId && here.bootId && record.bootId !== here.bootId) return 'dead';
  // Our own pid on a lock we do not hold is a previous life of this process (pid 1 in a container).
  if (record.pid === process.pid) return heldHere.has(record.nonce) ? 'alive' : 'dead';
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  const started = procStartTime(record.pid);
  if (record.startTime && started && started !== record.startTime) return 'dead';
  return 'alive';
}

/** Creates `path` holding `content` only if it does not exist; never leaves a partly written file at `path`. */
function createExclusive(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    writeFileSync(temp, content, { mode: 0o644 });
  } catch (error) {
    // A full disk fails the write after the file was created: nothing is left behind, and the error says where.
    quiet(() => unlinkSync(temp));
    const failed = error as NodeJS.ErrnoException;
    failed.path ??= temp;
    throw failed;
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    quiet(() => unlinkSync(temp));
  }
}

/**
 * Removes `path` only if it still holds exactly `raw`. Concurrent breakers of the same stale lock serialise on a
 * claim file named after that lock's content: one removes it, the others see it gone or replaced. A claim left
 * by a breaker that died is itself broken the same way (bounded depth).
 */
export function removeIfUnchanged(path: string, raw: string, depth = 0): boolean {
  const claim = `${path}.takeover-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
  const mine = JSON.stringify(ownRecord(''));
  if (!createExclusive(claim, mine)) {
    const holderRaw = read(claim);
    const holder = parseRecord(holderRaw);
    if (depth < 3 && holderRaw !== undefined && (!holder || liveness(holder) === 'dead')) removeIfUnchanged(claim, holderRaw, depth + 1);
    return false;
  }
  try {
    if (read(path) !== raw) return false;
    unlinkSync(path);
    return true;
  } finally {
    quiet(() => unlinkSync(claim));
  }
}

export interface AcquireOptions {
  /** Judges a lock whose pid cannot be checked here (another host or namespace): true if its owner is gone. */
  foreignIsGone?(record: OwnerRecord): Promise<boolean>;
}

/**
 * Takes the lock at `path`, or says who holds it. A lock whose owner is dead is taken over; of several processes
 * racing for it exactly one wins. The lock is released by `release()` and, as a last resort, at process exit.
 */
export async function acquireOwnerLock(path: string, socket: string, options: AcquireOptions = {}): Promise<Acquired> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const record = ownRecord(socket);
    const content = JSON.stringify(record);
    if (createExclusive(path, content)) return { owned: true, record, release: releaser(path, content, record.nonce) };
    const raw = read(path);
    if (raw === undefined) continue;
    const holder = parseRecord(raw);
    const state = holder ? liveness(holder) : 'dead';
    const gone = state === 'dead' || (state === 'unknown' && holder !== undefined && (await options.foreignIsGone?.(holder)) === true);
    if (!gone) return { owned: false, record: holder as OwnerRecord };
    if (!removeIfUnchanged(path, raw)) await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
  }
  throw new Error(`could not take the lock ${path}: it keeps changing`);
}

function releaser(path: string, content: string, nonce: string): () => void {
  let released = false;
  heldHere.add(nonce);
  const release = () => {
    if (released) return;
    released = true;
    heldHere.delete(nonce);
    process.off('exit', release);
    // Only our own lock: never remove one a later owner wrote after ours was (wrongly) judged stale.
    if (read(path) === content) quiet(() => unlinkSync(path));
  };
  process.on('exit', release);
  return release;
}
