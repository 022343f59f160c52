import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnUntilReady } from './process.js';

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
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const caddy = await spawnUntilReady('caddy', ['run', '--config', config], `${adminUrl}/config/`, env);
  return {
    adminUrl,
    stop: async () => {
      await caddy.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
