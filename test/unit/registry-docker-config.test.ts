import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryCredentialResolver, dockerAuthConfig, secretsOf } from '../../src/adapters/registry/credentials.js';
import { normalizeHost } from '../../src/adapters/registry/docker-config.js';

describe('registry credentials from the environment and a Docker config.json (real files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'g-unit-dockercfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.json');
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  writeFileSync(
    path,
    JSON.stringify({
      auths: {
        'https://r1.example.com/v1/': { auth: b64('u1:p1:with:colons') },
        'r2.example.com:5000': { username: 'u2', password: 'p2' },
        'r3.example.com': { identitytoken: 'refresh-3' },
        'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
        'r4.example.com': {},
        'bad.example.com': { auth: b64('no-colon') },
      },
    }),
  );
  const resolver = new RegistryCredentialResolver({ dockerConfigDir: dir, logins: { 'r2.example.com:5000': { username: 'env', password: 'envpw' } } });

  it('finds auths entries by host, whatever scheme or path the key carries; the environment comes first', async () => {
    expect(await resolver.resolve('r1.example.com')).toEqual({ host: 'r1.example.com', source: path, username: 'u1', password: 'p1:with:colons' });
    expect(await resolver.resolve('r2.example.com:5000')).toEqual({ host: 'r2.example.com:5000', source: 'DECKHAND_REGISTRY_AUTH', username: 'env', password: 'envpw' });
    expect(await new RegistryCredentialResolver({ dockerConfigDir: dir }).resolve('r2.example.com:5000')).toMatchObject({ source: path, username: 'u2', password: 'p2' });
    expect(await resolver.resolve('r3.example.com')).toEqual({ host: 'r3.example.com', source: path, identityToken: 'refresh-3' });
    expect(await resolver.resolve('docker.io')).toMatchObject({ username: 'hub', password: 'hubpw' });
    expect(await resolver.resolve('r4.example.com')).toEqual({ host: 'r4.example.com', source: 'none' });
    expect(await resolver.resolve('r2.example.com')).toEqual({ host: 'r2.example.com', source: 'none' }); // the port is part of the host
    await expect(resolver.resolve('bad.example.com')).rejects.toMatchObject({ code: 'registry_auth_failed', message: `${path}: auths["bad.example.com"].auth is not base64 of user:password.` });
  });

  it('no file is anonymous; a broken file is named, its content never quoted', async () => {
    expect(await new RegistryCredentialResolver({ dockerConfigDir: join(dir, 'none') }).resolve('r1.example.com')).toEqual({ host: 'r1.example.com', source: 'none' });
    const broken = mkdtempSync(join(dir, 'broken-'));
    writeFileSync(join(broken, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"');
    await expect(new RegistryCredentialResolver({ dockerConfigDir: broken }).resolve('x')).rejects.toMatchObject({ code: 'registry_auth_failed', message: `${join(broken, 'config.json')} is not valid JSON.` });
  });

  it('tells redaction every form of the secret, and gives Docker its auth config', async () => {
    const seen: string[] = [];
    const r = new RegistryCredentialResolver({ dockerConfigDir: dir, onSecrets: (_host, values) => seen.push(...values) });
    const c = await r.resolve('r1.example.com');
    expect(seen).toEqual(['p1:with:colons', b64('u1:p1:with:colons')]);
    expect(secretsOf(c)).toEqual(seen);
    expect(dockerAuthConfig(c)).toEqual({ username: 'u1', password: 'p1:with:colons', serveraddress: 'r1.example.com' });
    expect(dockerAuthConfig(await r.resolve('r3.example.com'))).toEqual({ identitytoken: 'refresh-3', serveraddress: 'r3.example.com' });
    expect(dockerAuthConfig({ host: 'x', source: 'none' })).toBeUndefined();
    expect(['https://Reg.Example.com:443/v2/', 'index.docker.io', 'registry-1.docker.io'].map(normalizeHost)).toEqual(['reg.example.com:443', 'docker.io', 'docker.io']);
  });
});
