import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnUntilReady } from './process.js';

export interface HtpasswdRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  stop(): Promise<void>;
}

/**
 * A bcrypt hash for htpasswd without a new dependency: Python's crypt module (Blowfish, cost 4, the lowest bcrypt
 * allows, so the registry checks each request fast), else `caddy hash-password` (cost 14: correct but slow).
 */
export function bcryptHash(password: string): string {
  try {
    const script = 'import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
    const hash = execFileSync('python3', ['-W', 'ignore', '-c', script], { input: password, encoding: 'utf8' }).trim();
    if (hash.startsWith('$2')) return hash;
  } catch {
    // no python3 or no crypt module: try caddy
  }
  const out = execFileSync('caddy', ['hash-password', '--algorithm', 'bcrypt'], { input: password, encoding: 'utf8' }).trim();
  return out.startsWith('$2') ? out : Buffer.from(out, 'base64').toString('utf8');
}

/**
 * Debian's docker-registry (distribution v2) on 127.0.0.1 with htpasswd auth over plain HTTP (it accepts that on
 * loopback; Docker treats 127.0.0.0/8 as an insecure registry), deletes enabled, storage in a temporary directory.
 */
export async function startHtpasswdRegistry(users: Record<string, string>): Promise<HtpasswdRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-g-authreg-'));
  const port = await freePort();
  const htpasswd = join(dir, 'htpasswd');
  writeFileSync(htpasswd, Object.entries(users).map(([user, password]) => `${user}:${bcryptHash(password)}\n`).join(''));
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:\n  level: error',
      `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true`,
      `http:\n  addr: 127.0.0.1:${port}`,
      `auth:\n  htpasswd:\n    realm: deckhand-test\n    path: ${htpasswd}`,
      '',
    ].join('\n'),
  );
  // "/" answers 200 without auth once the registry listens; /v2/ would answer 401.
  const registry = await spawnUntilReady('docker-registry', ['serve', config], `http://127.0.0.1:${port}/`);
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
