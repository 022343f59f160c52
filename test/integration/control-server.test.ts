import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlServer } from '../../src/adapters/control/control-server.js';
import type { Services } from '../../src/compose.js';
import { controlConnection } from '../helpers/control-socket.js';

/** No command runs in these tests (no request is sent): the server is given no services. */
const NO_SERVICES = undefined as unknown as Services;
const identity = { configPath: '/x/deckhand.yml', configHash: '0'.repeat(64), engine: '0'.repeat(64), build: 'test' };

describe('the control socket at start: a dead bot’s socket is replaced, anything else is left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'i-control-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const start = (path: string, log: string[] = []) => startControlServer({ services: NO_SERVICES, path, identity, log: (line) => log.push(line) });

  it('a socket left by a process killed with -9 is replaced; the new one is 0600 and answers hello; close removes it', async () => {
    const path = join(dir, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(lstatSync(path).isSocket()).toBe(true);

    const server = await start(path);
    expect(server).toBeDefined();
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    const connection = await controlConnection(path);
    connection.close();
    await server!.close();
    expect(existsSync(path)).toBe(false);
  });

  it('a socket another live process serves is not taken, and stays', async () => {
    const path = join(dir, 'live.sock');
    const other = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => other.listen(path, resolve));
    const log: string[] = [];
    expect(await start(path, log)).toBeUndefined();
    expect(log.join('\n')).toContain('is served by another process');
    expect(lstatSync(path).isSocket()).toBe(true);
    await new Promise((resolve) => other.close(resolve));
  });

  it('a file that is not a socket is never removed', async () => {
    const path = join(dir, 'file.sock');
    writeFileSync(path, 'not a socket');
    const log: string[] = [];
    expect(await start(path, log)).toBeUndefined();
    expect(log.join('\n')).toContain('is not a socket of this user');
    expect(lstatSync(path).isFile()).toBe(true);
  });
});
