import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReusePortMigration } from '../../src/adapters/proxy/caddy-proxy.js';

describe('tcp_migrate_req host check', () => {
  const file = (value: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'deckhand-sysctl-')), 'tcp_migrate_req');
    writeFileSync(path, `${value}\n`);
    return path;
  };

  it('warns when the kernel would reset queued connections on a Caddy reload', async () => {
    expect(await checkReusePortMigration(file('0'))).toEqual([expect.stringContaining('sysctl -w net.ipv4.tcp_migrate_req=1')]);
  });

  it('is quiet when the setting is on or the kernel has no such setting', async () => {
    expect(await checkReusePortMigration(file('1'))).toEqual([]);
    expect(await checkReusePortMigration('/nonexistent/tcp_migrate_req')).toEqual([]);
  });
});
