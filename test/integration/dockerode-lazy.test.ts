import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { haveDocker } from '../helpers/infra.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `code` (an ES module) in a fresh node with tsx, so its CommonJS module cache starts empty; returns its JSON. */
function fresh(code: string): Record<string, unknown> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const LOADED = `
import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
const loaded = (name) => Object.keys(cache).some((path) => path.includes('/node_modules/' + name + '/'));
`;

/**
 * dockerode loads BuildKit's gRPC session and docker-modem loads ssh2 at require time (~120 ms per CLI command); deckhand
 * defers both until first called. The real engine still answers, and calling the deferred function loads the real module.
 */
describe.skipIf(!(await haveDocker()))('dockerode without its unused eager modules', () => {
  it('does not load grpc, protobufjs or ssh2 until they are called, and still talks to the engine', () => {
    const out = fresh(`${LOADED}
const { Dockerode } = await import('./src/adapters/docker/dockerode.ts');
const ping = String(await new Dockerode().ping());
const before = { grpc: loaded('@grpc/grpc-js'), protobuf: loaded('protobufjs'), ssh2: loaded('ssh2') };
const modemDir = createRequire(createRequire(import.meta.url).resolve('dockerode')).resolve('docker-modem').replace(/modem\\.js$/, '');
const agent = createRequire(import.meta.url)(modemDir + 'ssh.js')({ host: '127.0.0.1' });
console.log(JSON.stringify({ ping, before, sshAfterCall: loaded('ssh2'), agent: typeof agent.createConnection }));
`);
    expect(out.ping).toBe('OK');
    expect(out.before).toEqual({ grpc: false, protobuf: false, ssh2: false });
    // The stand-in delegates to the real module on its first call: an ssh:// DOCKER_HOST still gets its agent.
    expect(out.sshAfterCall).toBe(true);
    expect(out.agent).toBe('function');
  });

  /** `deckhand status --json` as shipped (bin/deckhand.js: the bundle), run here; what it loaded from node_modules. */
  function shippedStatus(extraEnv: Record<string, string>) {
    // `deckhand status` builds every service (Docker, Swarm node engines, git, the store) and asks the engine.
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-lazy-'));
    writeFileSync(join(dir, 'deckhand.yml'), 'apps:\n  web:\n    source:\n      image: 127.0.0.1:5000/web:latest\n    run:\n      port: 38011\n      health: /\n');
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', `
const { createRequire } = await import('node:module');
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const loaded = (name) => Object.keys(cache).some((path) => path.includes('/node_modules/' + name + '/'));
  console.error(JSON.stringify({ dockerode: loaded('dockerode'), modem: loaded('docker-modem'), grpc: loaded('@grpc/grpc-js'), ssh2: loaded('ssh2') }));
});
process.argv.splice(1, Infinity, 'deckhand', 'status', '--json');
await import('./bin/deckhand.js');
`], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DECKHAND_PROXY: 'none', DECKHAND_CLI_LOCAL: '1', DECKHAND_CONFIG: join(dir, 'deckhand.yml'), DECKHAND_DATA_DIR: join(dir, 'data'), DATABASE_URL: process.env.DATABASE_URL ?? '', ...extraEnv } });
    rmSync(dir, { recursive: true, force: true });
    const lines = result.stderr.trim().split('\n');
    return { result, seen: JSON.parse(lines.at(-1)!) as Record<string, boolean>, stderr: lines.slice(0, -1).join('\n') };
  }

  it('the whole CLI as shipped (the bundle) holds dockerode itself and loads neither grpc nor ssh2', () => {
    const { result, seen } = shippedStatus({});
    expect([0, 1], result.stdout + result.stderr).toContain(result.status); // 1: the app has never been deployed, so not healthy
    expect(JSON.parse(result.stdout)).toBeTruthy();
    // dockerode and docker-modem are in the bundle (compiled through the CLI's code cache), not read from node_modules.
    expect(seen).toEqual({ dockerode: false, modem: false, grpc: false, ssh2: false });
  });

  it('in the bundle, an ssh:// DOCKER_HOST still reaches docker-modem\'s ssh support, loaded when first used', () => {
    // Port 1 on 127.0.0.1 refuses: the command fails on the connection, which it can only try with the real ssh.js.
    const { result, seen, stderr } = shippedStatus({ DOCKER_HOST: 'ssh://deckhand@127.0.0.1:1', DOCKER_SOCKET: '' });
    expect(seen.ssh2, stderr).toBe(true);
    expect(seen.grpc).toBe(false);
    expect(`${result.stdout}${stderr}`).not.toMatch(/Cannot find module|is not a function/);
  });

  it('without the stand-ins dockerode would load them at require time (the test above can fail)', () => {
    const out = fresh(`${LOADED}
createRequire(import.meta.url)('dockerode');
console.log(JSON.stringify({ grpc: loaded('@grpc/grpc-js'), ssh2: loaded('ssh2') }));
`);
    expect(out).toEqual({ grpc: true, ssh2: true });
  });
});
