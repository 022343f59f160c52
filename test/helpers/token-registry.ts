import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { spawnUntilReady } from './process.js';

export interface TokenRegistry {
  /** host:port of the registry. */
  host: string;
  /** Every token the token service handed out, to search for where it must not be. */
  issued: string[];
  /** Token requests the service refused (wrong or missing credentials). */
  refusals: number;
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * Debian's docker-registry with `auth: token` (the Bearer flow of Docker Hub, GHCR, Harbor ...), and a small token
 * service on 127.0.0.1 that checks HTTP Basic credentials and signs RS256 JWTs with a key whose self-signed
 * certificate (made by openssl) is the registry's rootcertbundle and travels in the token's x5c header.
 */
export async function startTokenRegistry(users: Record<string, string>): Promise<TokenRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-g-tokenreg-'));
  const [port, tokenPort] = [await freePort(), await freePort()];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=deckhand-g-token'], { stdio: 'ignore' });
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const certDer = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw;
  const service = 'deckhand-g-registry';
  const issuer = 'deckhand-g-issuer';
  const state = { issued: [] as string[], refusals: 0 };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${tokenPort}`);
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [user, ...rest] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    if (url.pathname !== '/token' || !user || users[user] === undefined || users[user] !== rest.join(':')) {
      state.refusals += 1;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return type && name && actions ? [{ type, name, actions: actions.split(',') }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: url.searchParams.get('service') ?? service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), key))}`;
    state.issued.push(token);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(tokenPort, '127.0.0.1', resolve));

  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:\n  level: error',
      `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true`,
      `http:\n  addr: 127.0.0.1:${port}`,
      `auth:\n  token:\n    realm: http://127.0.0.1:${tokenPort}/token\n    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${join(dir, 'cert.pem')}`,
      '',
    ].join('\n'),
  );
  const registry = await spawnUntilReady('docker-registry', ['serve', config], `http://127.0.0.1:${port}/`).catch(async (error: unknown) => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    host: `127.0.0.1:${port}`,
    get issued() {
      return state.issued;
    },
    get refusals() {
      return state.refusals;
    },
    stop: async () => {
      await registry.stop();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
