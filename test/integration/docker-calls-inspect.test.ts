import { createRequire } from 'node:module';
import { format } from 'node:util';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerCalls } from '../../src/adapters/docker/docker-calls.js';
import { dockerSocket, haveDocker } from '../helpers/infra.js';

const enabled = await haveDocker();

/** The `debug` package docker-modem itself loads (resolved from docker-modem, not from deckhand). */
interface DebugPackage {
  enable(namespaces: string): void;
  disable(): string;
  log: (...args: unknown[]) => void;
}
const modemDebug = createRequire(createRequire(import.meta.url).resolve('docker-modem'))('debug') as DebugPackage;

/**
 * docker-modem builds the text of its `debug` line for every request (util.inspect of the request's options, hidden
 * properties included, no depth limit) whether or not that log is on. The options carry the HTTP agent deckhand gives
 * a local engine's client, and through it every request and socket in flight: that text was some 24,000 characters,
 * and its CPU was on every Docker call of a deploy's critical path. The log is switched on here only to see the text
 * docker-modem builds either way. Real Docker engine.
 */
describe.skipIf(!enabled)('Docker calls: what docker-modem inspects on each request stays small', () => {
  const lines: string[] = [];
  let previousLog: DebugPackage['log'];
  let previous = '';

  beforeAll(() => {
    previousLog = modemDebug.log;
    previous = modemDebug.disable();
    modemDebug.log = (...args: unknown[]) => lines.push(format(...args));
    modemDebug.enable('modem');
  });

  afterAll(() => {
    modemDebug.disable();
    modemDebug.log = previousLog;
    if (previous) modemDebug.enable(previous);
  });

  it('one call, and eight at once: each request is logged in under 1,000 characters, without the sockets in flight', async () => {
    const calls = new DockerCalls(new Dockerode({ socketPath: dockerSocket }), 10_000);
    await calls.call('list containers', (abortSignal) => calls.docker.listContainers({ all: true, abortSignal }));
    await Promise.all(Array.from({ length: 8 }, (_, i) => calls.call(`list images (${i})`, (abortSignal) => calls.docker.listImages({ abortSignal }))));
    const sent = lines.filter((line) => line.includes('Sending:'));
    expect(sent.length).toBeGreaterThanOrEqual(9);
    for (const line of sent) {
      expect(line.length).toBeLessThan(1_000);
      expect(line).not.toMatch(/ClientRequest|Socket \{/);
    }
    expect(sent[0]).toContain('Agent { keepAlive: false }');
  });
});
