import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaddyAdmin } from '../../src/adapters/proxy/caddy-admin.js';
import { nsenterArgs } from './netns.js';

export interface HubCaddy {
  /** `unix//<socket>`: what DECKHAND_CADDY_ADMIN_URL takes. The socket is a file, reachable from any namespace. */
  adminUrl: string;
  admin: CaddyAdmin;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real Caddy started INSIDE a namespace (`nsenter --net=<ns> caddy run`), so its public listeners and the upstreams
 * it dials (Swarm node addresses) live there, while deckhand drives its admin API over a Unix socket in a temporary
 * directory of the machine. Nothing of it listens in the machine's own namespace.
 */
export async function startCaddyInNamespace(ns: { path: string }): Promise<HubCaddy> {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-hub-caddy-'));
  const socket = join(dir, 'admin.sock');
  const config = join(dir, 'caddy.json');
  writeFileSync(config, JSON.stringify({ admin: { listen: `unix/${socket}` }, logging: { logs: { default: { level: 'ERROR' } } } }));
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const child: ChildProcess = spawn('nsenter', nsenterArgs(ns, ['caddy', 'run', '--config', config]), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const adminUrl = `unix/${socket}`;
  const admin = new CaddyAdmin(adminUrl);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await admin.call('GET', '/config/').catch(() => undefined);
    if (answer?.status === 200) return { adminUrl, admin, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`caddy in ${ns.path} did not answer on ${socket}: ${stderr}`);
    }
    await sleep(100);
  }
}
