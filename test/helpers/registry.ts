import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnUntilReady } from './process.js';

export interface RegistryProcess {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  stop(): Promise<void>;
}

/** Debian's docker-registry (distribution v2) on 127.0.0.1, storing in a temporary directory, deletes enabled. */
export async function startRegistry(): Promise<RegistryProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const registry = await spawnUntilReady('docker-registry', ['serve', config], `http://127.0.0.1:${port}/v2/`);
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
