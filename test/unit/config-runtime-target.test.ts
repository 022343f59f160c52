import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/compose.js';
import Docker from 'dockerode';
import { DockerRuntime } from '../../src/adapters/docker/docker-runtime.js';
import { createRuntime, healthcheckArgv, swarmTarget } from '../../src/compose-runtime.js';
import { parseAppsFile } from '../../src/config/apps-file.js';
import { loadEnv } from '../../src/config/env.js';
import { checkRuntimeTargets, runtimeOfApp } from '../../src/config/runtime-target.js';
import { catalogOf } from '../../src/domain/apps.js';
import { dockerSocket, haveDocker } from '../helpers/infra.js';

const enabled = await haveDocker();

const app = (extra: string) => `apps:
  i-web:
    source: { git: file:///srv/web.git }
    run: { port: 18080, health: /healthz, stopTimeout: 3s }
${extra}`;

const swarmApp = app(`    registry: 10.0.0.1:5000/i-web
    target:
      swarm: { replicas: 3, constraints: ["node.role==worker", "node.labels.zone != b"] }
`);

describe('target: docker | swarm | { swarm } and DECKHAND_RUNTIME', () => {
  it('parses a swarm target into the app; the runtime defaults to docker', () => {
    const [spec] = parseAppsFile(swarmApp, 'deckhand.yml');
    expect(spec!.target).toEqual({ swarm: { replicas: 3, constraints: ['node.role==worker', 'node.labels.zone != b'] } });
    expect(parseAppsFile(app(''), 'f.yml')[0]).not.toHaveProperty('target');
    expect(parseAppsFile(app('    target: { swarm: {} }\n'), 'f.yml')[0]!.target).toEqual({ swarm: { replicas: 1, constraints: [] } });
    expect(loadEnv({}).DECKHAND_RUNTIME).toBe('docker');
    expect(loadEnv({ DECKHAND_RUNTIME: 'swarm' }).DECKHAND_RUNTIME).toBe('swarm');
    expect(() => loadEnv({ DECKHAND_RUNTIME: 'kubernetes' })).toThrow(/DECKHAND_RUNTIME: .*"docker"\|"swarm"|DECKHAND_RUNTIME: .*docker.*swarm/);
  });

  it('refuses a bad swarm target naming the app and the key', () => {
    expect(() => parseAppsFile(app('    target: { swarm: { replicas: 0 } }\n'), 'f.yml')).toThrow(/f\.yml: app "i-web", key target\.swarm\.replicas: /);
    expect(() => parseAppsFile(app('    target: { swarm: { constraints: ["role worker"] } }\n'), 'f.yml')).toThrow(/key target\.swarm\.constraints\.0: a placement constraint such as node\.role==worker/);
    expect(() => parseAppsFile(app('    target: { kubernetes: {} }\n'), 'f.yml')).toThrow(/key target: unknown key\(s\) "kubernetes"/);
    expect(() => parseAppsFile(app('    target: { swarm: { replica: 2 } }\n'), 'f.yml')).toThrow(/key target\.swarm: unknown key\(s\) "replica"/);
  });

  it('per app target: docker, swarm or { swarm }; apps without one take DECKHAND_RUNTIME (default docker)', () => {
    const [onSwarm] = parseAppsFile(swarmApp, 'f.yml');
    const [plain] = parseAppsFile(app(''), 'f.yml');
    const [onHost] = parseAppsFile(app('    target: docker\n'), 'f.yml');
    const [swarmWord] = parseAppsFile(app('    registry: 10.0.0.1:5000/i-web\n    target: swarm\n'), 'f.yml');
    expect(onHost!.target).toEqual({ docker: true });
    expect(swarmWord!.target).toEqual({ swarm: { replicas: 1, constraints: [] } });
    expect([onSwarm, plain, onHost, swarmWord].map((a) => runtimeOfApp(a!, 'docker'))).toEqual(['swarm', 'docker', 'docker', 'swarm']);
    expect([onSwarm, plain, onHost, swarmWord].map((a) => runtimeOfApp(a!, 'swarm'))).toEqual(['swarm', 'swarm', 'docker', 'swarm']);
    expect(() => parseAppsFile(app('    target: kubernetes\n'), 'f.yml')).toThrow(/key target: expected docker, swarm or \{ swarm: \{ replicas, constraints \} \}/);
    expect(() => parseAppsFile(app('    target: { docker: {}, swarm: {} }\n'), 'f.yml')).toThrow(/key target: name one runtime: docker or swarm, not both/);
    expect(() => parseAppsFile(app('    target: { docker: { replicas: 2 } }\n'), 'f.yml')).toThrow(/key target\.docker: unknown key\(s\) "replicas"/);
  });

  it('an app on Swarm (by target or by default) needs registry:, Caddy and no health.cmd; apps on the host need none of it', () => {
    const [withTarget] = parseAppsFile(swarmApp, 'f.yml');
    const [plain] = parseAppsFile(app(''), 'f.yml');
    const [onHost] = parseAppsFile(app('    target: docker\n'), 'f.yml');
    const host = { ...plain!, name: 'i-api', run: { ...plain!.run, port: 18082 } };
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'docker', DECKHAND_PROXY: 'caddy' }, [withTarget!, host])).not.toThrow();
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'docker', DECKHAND_PROXY: 'none' }, [host])).not.toThrow();
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'swarm', DECKHAND_PROXY: 'none' }, [onHost!])).not.toThrow();
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'swarm', DECKHAND_PROXY: 'caddy' }, [withTarget!])).not.toThrow();
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'swarm', DECKHAND_PROXY: 'caddy' }, [plain!])).toThrow(/app "i-web": key registry is required on Swarm/);
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'docker', DECKHAND_PROXY: 'caddy' }, [{ ...withTarget!, registry: undefined }])).toThrow(/app "i-web": key registry is required on Swarm/);
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'docker', DECKHAND_PROXY: 'none' }, [withTarget!, host])).toThrow(/DECKHAND_PROXY=none: apps on Swarm \("i-web"\) need Caddy/);
    const withCmd = { ...withTarget!, processes: [{ name: 'worker', command: ['w'], replicas: 1, env: {}, secretEnv: {}, healthyAfterMs: 1000, healthCmd: ['true'] }] };
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'docker', DECKHAND_PROXY: 'caddy' }, [withCmd])).toThrow(/key processes\.worker\.health\.cmd: not supported on Swarm/);
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'docker', DECKHAND_PROXY: 'caddy' }, [{ ...host, processes: withCmd.processes }])).not.toThrow();
    const other = { ...withTarget!, name: 'i-other', run: { ...withTarget!.run, port: 18081 }, registry: 'registry.example.com/i-other' };
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'swarm', DECKHAND_PROXY: 'caddy' }, [withTarget!, other])).toThrow(/one registry host for now \("i-web", "i-other"\); found 10\.0\.0\.1:5000, registry\.example\.com/);
    // A Docker-host app may use another registry host than the Swarm apps.
    expect(() => checkRuntimeTargets({ DECKHAND_RUNTIME: 'swarm', DECKHAND_PROXY: 'caddy' }, [withTarget!, { ...other, target: { docker: true } }])).not.toThrow();
  });

  it('createServices refuses these before it opens the database', async () => {
    const [withTarget] = parseAppsFile(swarmApp, 'f.yml');
    // The database URL points nowhere: reaching it would fail with another error, and slowly.
    const env = (extra: Record<string, string>) => loadEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ...extra });
    await expect(createServices({ env: env({ DECKHAND_PROXY: 'none' }), apps: [withTarget!] })).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringMatching(/DECKHAND_PROXY=none: apps on Swarm/) });
    await expect(createServices({ env: env({ DECKHAND_RUNTIME: 'swarm', DECKHAND_PROXY: 'none' }), apps: [{ ...withTarget!, target: undefined }] })).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringMatching(/DECKHAND_PROXY=none/) });
  });

  it.skipIf(!enabled)('an engine outside any Swarm is refused at start when an app is on Swarm, naming it; apps on the host only never ask', async () => {
    const [withTarget] = parseAppsFile(swarmApp, 'f.yml');
    const [plain] = parseAppsFile(app(''), 'f.yml');
    const docker = new Docker({ socketPath: dockerSocket });
    expect((await docker.info()).Swarm?.LocalNodeState).toBe('inactive');
    const none = async () => ({ host: '', source: 'none' as const });
    await expect(createRuntime(loadEnv({}), catalogOf([withTarget!]), none, docker)).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/Apps "i-web" run on Swarm .*is not in a Swarm: point DOCKER_SOCKET\/DOCKER_HOST at a Swarm manager, or give those apps target: docker/),
    });
    expect(await createRuntime(loadEnv({ DECKHAND_RUNTIME: 'swarm' }), catalogOf([{ ...plain!, target: { docker: true } }]), none, docker)).toBeInstanceOf(DockerRuntime);
  });

  it('the Swarm target of an app: its replicas, constraints, health path, processes and stop grace', () => {
    const [spec] = parseAppsFile(swarmApp, 'f.yml');
    expect(swarmTarget(spec!)).toEqual({ replicas: 3, constraints: ['node.role==worker', 'node.labels.zone != b'], healthPath: '/healthz', stopGraceMs: 3000 });
    const [plain] = parseAppsFile(app(''), 'f.yml');
    const withWorker = { ...plain!, processes: [{ name: 'worker', command: ['w'], replicas: 2, env: {}, secretEnv: {}, healthyAfterMs: 1000 }] };
    expect(swarmTarget(withWorker)).toEqual({ replicas: 1, constraints: [], healthPath: '/healthz', processReplicas: { worker: 2 }, stopGraceMs: 3000 });
  });

  it('target.swarm.healthcheck: an argv run inside each web task, {url} and {port} filled in; anything else is refused', () => {
    const [spec] = parseAppsFile(app('    registry: 10.0.0.1:5000/i-web\n    target: { swarm: { replicas: 2, healthcheck: ["/usr/bin/curl", "-fsS", "{url}"] } }\n'), 'f.yml');
    expect(spec!.target).toEqual({ swarm: { replicas: 2, constraints: [], healthcheck: ['/usr/bin/curl', '-fsS', '{url}'] } });
    const target = swarmTarget(spec!);
    expect(target.healthArgv?.(24001, '/healthz')).toEqual(['CMD', '/usr/bin/curl', '-fsS', 'http://127.0.0.1:24001/healthz']);
    expect(healthcheckArgv(['/app/check', '--port={port}'])(24002, '/')).toEqual(['CMD', '/app/check', '--port=24002']);
    expect(() => parseAppsFile(app('    target: { swarm: { healthcheck: "curl -f localhost" } }\n'), 'f.yml')).toThrow(/key target\.swarm\.healthcheck: expected an argv array/);
  });

  it('DECKHAND_CADDY_ADMIN_URL takes an http URL or unix//<socket>, and says so otherwise', () => {
    expect(loadEnv({ DECKHAND_CADDY_ADMIN_URL: 'unix//run/caddy/admin.sock' }).DECKHAND_CADDY_ADMIN_URL).toBe('unix//run/caddy/admin.sock');
    expect(loadEnv({ DECKHAND_CADDY_ADMIN_URL: 'http://127.0.0.1:2019' }).DECKHAND_CADDY_ADMIN_URL).toBe('http://127.0.0.1:2019');
    expect(loadEnv({ DECKHAND_CADDY_ADMIN_URL: '' }).DECKHAND_CADDY_ADMIN_URL).toBeUndefined();
    expect(() => loadEnv({ DECKHAND_CADDY_ADMIN_URL: 'caddy-admin' })).toThrow(/DECKHAND_CADDY_ADMIN_URL: must be an http URL .* or unix\/\/<socket path>/);
  });
});
