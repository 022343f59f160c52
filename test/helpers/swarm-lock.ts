import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { localProcesses } from '../../src/domain/locks/lease.js';
import { readOr, tryTakeFile } from './file-lock.js';

/**
 * One test Swarm per machine (fixed namespace names and addresses): every test file that starts one holds this lock
 * from its beforeAll to its afterAll, so two such files in parallel workers run one after the other instead of one
 * tearing down the other's cluster. The lock is a file made atomically with its content (`link` of a written temp
 * file) naming the holder's pid and a token; a holder whose process is gone, or an earlier file of this same worker
 * that never released it, is taken over. The name is not `dkswarm-*`, which cleanSwarmLeftovers sweeps.
 */
export const SWARM_LOCK = '/tmp/dkswarm.lock';

const token = randomBytes(8).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function holderOf(content: string): { pid: number; token: string } | undefined {
  const [pid, holderToken] = content.trim().split(' ');
  return pid && /^\d+$/.test(pid) && holderToken ? { pid: Number(pid), token: holderToken } : undefined;
}

const read = () => readOr(SWARM_LOCK);

/** Stale: its holder is dead, or is this very process under an older token (a file that never reached afterAll). */
function stale(content: string): boolean {
  const holder = holderOf(content);
  if (!holder) return true;
  if (holder.pid === process.pid) return holder.token !== token;
  return !localProcesses.alive(holder.pid);
}

/** Waits (up to `timeoutMs`) for the lock; resolves a release function. */
export async function takeSwarmLock(timeoutMs = 15 * 60_000): Promise<() => void> {
  const mine = `${process.pid} ${token}\n`;
  const deadline = Date.now() + timeoutMs;
  while (!tryTakeFile(SWARM_LOCK, mine, stale)) {
    if (Date.now() > deadline) throw new Error(`the test Swarm is still in use after ${Math.round(timeoutMs / 1000)} s (lock ${SWARM_LOCK}: ${read()?.trim()})`);
    await sleep(500);
  }
  return () => {
    if (read() === mine) rmSync(SWARM_LOCK, { force: true });
  };
}

/** True when this test file holds the lock (startSwarm refuses to run otherwise). */
export function holdsSwarmLock(): boolean {
  return read() === `${process.pid} ${token}\n`;
}
