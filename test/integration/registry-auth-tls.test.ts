import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../src/adapters/registry/http-request.js';
import { parseChallenge } from '../../src/adapters/registry/token-auth.js';
import { bcryptHash } from '../helpers/htpasswd-registry.js';
import { freePort } from '../helpers/ports.js';

/**
 * A registry behind a self-signed certificate: the registry API client trusts it only through the CA it is given
 * (DECKHAND_REGISTRY_CA); Docker itself trusts such a registry through /etc/docker/certs.d, not deckhand.
 */
describe('registry API over HTTPS with a self-signed certificate', () => {
  let dir: string;
  let port: number;
  let ca: string;
  let registry: { stop(): Promise<void> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'deckhand-g-tlsreg-'));
    port = await freePort();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    writeFileSync(join(dir, 'htpasswd'), `g-tls:${bcryptHash('g-tls-pw')}\n`);
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n  tls:\n    certificate: ${join(dir, 'cert.pem')}\n    key: ${join(dir, 'key.pem')}\nauth:\n  htpasswd:\n    realm: g-tls\n    path: ${join(dir, 'htpasswd')}\n`,
    );
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    registry = { stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))) };
  });

  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is reached with the CA, refused without it', async () => {
    const url = `https://127.0.0.1:${port}/v2/`;
    let answer;
    // Until the registry listens (spawned in beforeAll): at most 10 s.
    for (let i = 0; i < 100 && !answer; i += 1) answer = await httpRequest(url, { method: 'GET', ca, timeoutMs: 2000 }).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)));
    expect(answer?.status).toBe(401);
    expect(parseChallenge(answer?.headers['www-authenticate'])).toEqual({ scheme: 'basic', params: { realm: 'g-tls' } });
    const authed = await httpRequest(url, { method: 'GET', ca, timeoutMs: 2000, headers: { authorization: `Basic ${Buffer.from('g-tls:g-tls-pw').toString('base64')}` } });
    expect(authed.status).toBe(200);
    await expect(httpRequest(url, { method: 'GET', timeoutMs: 2000 })).rejects.toThrow(/self[- ]signed/i);
  });
});
