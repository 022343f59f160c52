import { describe, expect, it } from 'vitest';
import { parseAppsFile } from '../../src/config/apps-file.js';

/** `processes.<name>` of issue 14: worker containers of the app's image, deployed with the web. */
const file = (processes: string) => `apps:\n  a14-proc:\n    source: { image: "127.0.0.1:5000/a14" }\n    run: { port: 8080, env: { A: "1" } }\n    processes:\n${processes
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}\n`;
const parse = (processes: string) => parseAppsFile(file(processes), 'deckhand.yml')[0]!;
const refused = (processes: string, message: string) =>
  expect(() => parseAppsFile(file(processes), 'deckhand.yml')).toThrow(
    expect.objectContaining({ code: 'config_invalid', message: `deckhand.yml: app "a14-proc", key ${message}` }),
  );

describe('processes', () => {
  it('fills defaults: one replica, healthy after 5 s of running, no health command', () => {
    expect(parse('worker: { command: [bin/worker] }').processes).toEqual([
      { name: 'worker', command: ['bin/worker'], replicas: 1, env: {}, secretEnv: {}, healthyAfterMs: 5_000 },
    ]);
  });

  it('takes every key, splits env into literals and secret sources, and sorts by name', () => {
    const app = parse(
      [
        'worker:',
        '  command: [bin/worker, --queue, default]',
        '  replicas: 3',
        '  env: { QUEUE: default, THREADS: 4, STRIPE_KEY: { fromEnv: STRIPE_KEY }, TLS_KEY: { fromFile: /run/secrets/tls } }',
        '  healthyAfter: 10s',
        '  health: { cmd: [bin/worker-ok] }',
        'scheduler: { command: [bin/cron], replicas: 0 }',
      ].join('\n'),
    );
    expect(app.processes).toEqual([
      { name: 'scheduler', command: ['bin/cron'], replicas: 0, env: {}, secretEnv: {}, healthyAfterMs: 5_000 },
      {
        name: 'worker',
        command: ['bin/worker', '--queue', 'default'],
        replicas: 3,
        env: { QUEUE: 'default', THREADS: '4' },
        secretEnv: { STRIPE_KEY: { fromEnv: 'STRIPE_KEY' }, TLS_KEY: { fromFile: '/run/secrets/tls' } },
        healthyAfterMs: 10_000,
        healthCmd: ['bin/worker-ok'],
      },
    ]);
    expect(app.run.env).toEqual({ A: '1' });
  });

  it('is absent when the app has none, or an empty mapping', () => {
    expect(parseAppsFile('apps:\n  a14-p:\n    source: { image: x }\n    run: { port: 1 }\n', 'f.yml')[0]).not.toHaveProperty('processes');
    expect(parseAppsFile('apps:\n  a14-p:\n    source: { image: x }\n    run: { port: 1 }\n    processes: {}\n', 'f.yml')[0]).not.toHaveProperty('processes');
  });

  it.each(['w', 'worker-2', 'a'.repeat(30)])('accepts the name %s', (name) => {
    expect(parse(`${name}: { command: [x] }`).processes![0]!.name).toBe(name);
  });

  it('refuses the name web', () => {
    refused('web: { command: [x] }', 'processes.web: "web" is the HTTP container, configured under run:; give the process another name');
  });

  it.each(['Worker', '2nd', 'job_runner', 'job.runner', '-x', 'a'.repeat(31)])('refuses the name %j', (name) => {
    refused(`"${name}": { command: [x] }`, `processes.${name}: "${name}" is not a valid name: process names are lower-case letters, digits and "-" (at most 30), starting with a letter`);
  });

  it.each([
    ['worker: { replicas: 2 }', 'processes.worker.command: is required but missing'],
    ['worker: { command: "bin/worker --queue x" }', 'processes.worker.command: expected an argv array such as ["bin/worker", "--queue", "default"] (no shell string)'],
    ['worker: { command: [] }', 'processes.worker.command: expected an argv array such as ["bin/worker", "--queue", "default"] (no shell string)'],
    ['worker: { command: [x], replicas: 51 }', 'processes.worker.replicas: Too big: expected number to be <=50'],
    ['worker: { command: [x], replicas: -1 }', 'processes.worker.replicas: Too small: expected number to be >=0'],
    ['worker: { command: [x], replicas: 1.5 }', 'processes.worker.replicas: expected a whole number of containers'],
    ['worker: { command: [x], healthyAfter: soon }', 'processes.worker.healthyAfter: expected a duration like 30s or 2m, got "soon"'],
    ['worker: { command: [x], health: { cmd: "pgrep worker" } }', 'processes.worker.health.cmd: expected an argv array such as ["bin/worker", "--queue", "default"] (no shell string)'],
    ['worker: { command: [x], health: { cmd: [x], path: /healthz } }', 'processes.worker.health: unknown key(s) "path"'],
    ['worker: { command: [x], port: 9000 }', 'processes.worker: unknown key(s) "port"'],
    ['worker: { command: [x], env: { K: { fromFile: rel } } }', 'processes.worker.env.K.fromFile: fromFile must be an absolute path such as /run/secrets/db_password, got "rel"'],
    ['worker: { command: [x], env: { K: { fromEnv: X, fromFile: /y } } }', 'processes.worker.env.K: a secret source has exactly one key, fromEnv or fromFile; got "fromEnv", "fromFile"'],
    ['worker: [x]', 'processes.worker: Invalid input: expected object, received array'],
  ])('refuses %s', (processes, message) => refused(processes, message));

  it('an invalid process returns nothing, even beside a valid one', () => {
    let parsed: unknown;
    expect(() => {
      parsed = parseAppsFile(file('ok: { command: [x] }\nweb: { command: [y] }'), 'deckhand.yml');
    }).toThrow(/processes\.web/);
    expect(parsed).toBeUndefined();
  });
});
