import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface CaddyProcess {
  adminUrl: string;
  stop(): Promise<void>;
}

/** A real Caddy with its admin API on 127.0.0.1 and nothing else configured. */
export async function startCaddy(): Promise<CaddyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-caddy-'));
  const adminPort = await freePort();
  const config = join(dir, 'caddy.json');
  writeFileSync(config, JSON.stringify({ admin: { listen: `127.0.0.1:${adminPort}` }, logging: { logs: { default: { level: 'ERROR' } } } }));
  const child: ChildProcess = spawn('caddy', ['run', '--config', config], {
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`caddy exited: ${stderr}`);
    const ok = await fetch(`${adminUrl}/config/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`caddy did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    adminUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
