import { describe, expect, it } from 'vitest';
import { parseAppsFile } from '../../src/config/apps-file.js';

/** `run:` keys of issue 14: env secret sources, volumes, limits, command, user, stopTimeout. */
const file = (run: string) => `apps:\n  a14-run:\n    source: { image: "127.0.0.1:5000/a14" }\n    run:\n      port: 8080\n${run
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}\n`;
const parse = (run: string) => parseAppsFile(file(run), 'deckhand.yml')[0]!;
const refused = (run: string, message: string) =>
  expect(() => parseAppsFile(file(run), 'deckhand.yml')).toThrow(
    expect.objectContaining({ code: 'config_invalid', message: `deckhand.yml: app "a14-run", key ${message}` }),
  );

describe('run.env', () => {
  it('keeps literals in env and secret sources in secretEnv', () => {
    const app = parse('env:\n  GREETING: hi\n  WORKERS: 4\n  DEBUG: false\n  DB_PASSWORD: { fromEnv: PROD_DB_PASSWORD }\n  API_KEY: { fromFile: /run/secrets/api_key }');
    expect(app.run.env).toEqual({ GREETING: 'hi', WORKERS: '4', DEBUG: 'false' });
    expect(app.run.secretEnv).toEqual({ DB_PASSWORD: { fromEnv: 'PROD_DB_PASSWORD' }, API_KEY: { fromFile: '/run/secrets/api_key' } });
  });

  it('has no secretEnv when every value is literal', () => {
    expect(parse('env: { A: b }').run).not.toHaveProperty('secretEnv');
  });

  it.each([
    ['env: { DB: { fromEnv: A, fromFile: /x } }', 'run.env.DB: a secret source has exactly one key, fromEnv or fromFile; got "fromEnv", "fromFile"'],
    ['env: { DB: {} }', 'run.env.DB: a secret source has exactly one key, fromEnv or fromFile; got an empty mapping'],
    ['env: { DB: { fromVault: x } }', 'run.env.DB: a secret source has exactly one key, fromEnv or fromFile; got "fromVault"'],
    ['env: { DB: { fromEnv: "1BAD" } }', 'run.env.DB.fromEnv: fromEnv must name an environment variable of deckhand (env names are letters, digits and _, not starting with a digit), got "1BAD"'],
    ['env: { DB: { fromEnv: 5 } }', 'run.env.DB.fromEnv: fromEnv must name an environment variable of deckhand (env names are letters, digits and _, not starting with a digit), got 5'],
    ['env: { DB: { fromFile: secrets/db } }', 'run.env.DB.fromFile: fromFile must be an absolute path such as /run/secrets/db_password, got "secrets/db"'],
    ['env: { DB: { fromFile: null } }', 'run.env.DB.fromFile: fromFile must be an absolute path such as /run/secrets/db_password, got null'],
    ['env: { DB: [a, b] }', 'run.env.DB: expected a string, a number, a boolean, { fromEnv: NAME } or { fromFile: /absolute/path }'],
    ['env: { DB: null }', 'run.env.DB: expected a string, a number, a boolean, { fromEnv: NAME } or { fromFile: /absolute/path }'],
    ['env: { "bad-name": x }', 'run.env.bad-name: "bad-name" is not a valid name: env names are letters, digits and _, not starting with a digit'],
  ])('refuses %s', (run, message) => refused(run, message));
});

describe('run.volumes', () => {
  it('accepts named volumes and absolute host paths, with or without a mode', () => {
    const volumes = ['data:/var/lib/app', 'cache.v2:/cache:rw', '/srv/uploads:/uploads:ro', '/etc/app/conf.d:/conf'];
    expect(parse(`volumes: ${JSON.stringify(volumes)}`).run.container).toEqual({ volumes });
  });

  it.each([
    ['data', '"data": expected Docker\'s short syntax: name:/path, /host/path:/path, optionally followed by :ro or :rw'],
    ['a:/b:ro:x', '"a:/b:ro:x": expected Docker\'s short syntax: name:/path, /host/path:/path, optionally followed by :ro or :rw'],
    [':/data', '":/data" has an empty part: expected Docker\'s short syntax: name:/path, /host/path:/path, optionally followed by :ro or :rw'],
    ['data:', '"data:" has an empty part: expected Docker\'s short syntax: name:/path, /host/path:/path, optionally followed by :ro or :rw'],
    ['data:/x:', '"data:/x:" has an empty part: expected Docker\'s short syntax: name:/path, /host/path:/path, optionally followed by :ro or :rw'],
    ['data:/x:rx', '"data:/x:rx": the mode must be ro or rw, got "rx"'],
    ['./uploads:/uploads', '"./uploads:/uploads": the source must be a volume name (letters, digits, "_", "." and "-", at least 2, starting with a letter or digit) or an absolute host path; relative paths are not allowed'],
    ['d:/data', '"d:/data": the source must be a volume name (letters, digits, "_", "." and "-", at least 2, starting with a letter or digit) or an absolute host path; relative paths are not allowed'],
    ['/srv/../etc:/etc2', '"/srv/../etc:/etc2": the host path contains "." or ".."'],
    ['/srv//x:/x', '"/srv//x:/x": the host path contains an empty part ("//" or a trailing "/")'],
    ['data:relative', '"data:relative": the path in the container is not an absolute path'],
    ['data:/app/../etc', '"data:/app/../etc": the path in the container contains "." or ".."'],
    ['data:/', '"data:/": cannot mount over / of the container'],
  ])('refuses %j', (entry, message) => refused(`volumes: [${JSON.stringify(entry)}]`, `run.volumes.0: ${message}`));

  it('refuses two volumes on one path, naming the second', () => {
    refused('volumes: ["a1:/data", "/srv/x:/data:ro"]', 'run.volumes.1: "/srv/x:/data:ro" mounts /data again (already mounted by "a1:/data")');
  });
});

describe('run.memory and run.cpus', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['8192k', 8192 * 1024],
    ['"6291456"', 6291456],
    [10_000_000, 10_000_000],
  ])('memory %s is %d bytes', (value, bytes) => expect(parse(`memory: ${value}`).run.container).toEqual({ memoryBytes: bytes }));

  it.each([
    ['5m', 'run.memory: "5m" is below Docker\'s minimum of 6m'],
    ['1000', 'run.memory: 1000 is below Docker\'s minimum of 6m'],
    ['lots', 'run.memory: expected a size like 512m, 1g or 256k, or a number of bytes, got "lots"'],
    ['512mb', 'run.memory: expected a size like 512m, 1g or 256k, or a number of bytes, got "512mb"'],
    ['1.5', 'run.memory: expected a size like 512m, 1g or 256k, or a number of bytes, got 1.5'],
  ])('refuses memory %s', (value, message) => refused(`memory: ${value}`, message));

  it('cpus is a number of CPUs', () => {
    expect(parse('cpus: 0.5').run.container).toEqual({ cpus: 0.5 });
    expect(parse('cpus: 2').run.container).toEqual({ cpus: 2 });
  });

  it.each([
    ['0', 'run.cpus: expected a number of CPUs from 0.01 to 1024, got 0'],
    ['-1', 'run.cpus: expected a number of CPUs from 0.01 to 1024, got -1'],
    ['2000', 'run.cpus: expected a number of CPUs from 0.01 to 1024, got 2000'],
    ['half', 'run.cpus: expected a number of CPUs such as 0.5 or 2'],
  ])('refuses cpus %s', (value, message) => refused(`cpus: ${value}`, message));
});

describe('run.command, run.user, run.stopTimeout', () => {
  it('command is an argv array, kept as given', () => {
    expect(parse('command: ["/bin/busybox", "httpd", "-f", ""]').run.container).toEqual({ command: ['/bin/busybox', 'httpd', '-f', ''] });
  });

  it.each([
    ['"bin/server --port 80"', 'run.command: expected an argv array such as ["bin/worker", "--queue", "default"] (no shell string)'],
    ['[]', 'run.command: expected an argv array such as ["bin/worker", "--queue", "default"] (no shell string)'],
    ['[1, 2]', 'run.command: expected an argv array such as ["bin/worker", "--queue", "default"] (no shell string)'],
    ['["", "x"]', 'run.command: the program (the first item) is empty'],
  ])('refuses command %s', (value, message) => refused(`command: ${value}`, message));

  it.each(['app', 'www-data', '_svc', '1000', '1000:1000', 'app:staff', 'app:100'])('user %s', (user) => {
    expect(parse(`user: "${user}"`).run.container).toEqual({ user });
  });

  it.each(['root;id', 'a b', '-x', 'a:b:c', '', ':100', '1000:', 'a'.repeat(33), 12])('refuses user %j', (user) => {
    refused(`user: ${JSON.stringify(user)}`, typeof user === 'number' ? 'run.user: Invalid input: expected string, received number' : 'run.user: expected name, uid, uid:gid or name:group (letters, digits, "_", "." and "-"; names start with a letter or "_")');
  });

  it('stopTimeout defaults to 30 s and takes a duration', () => {
    expect(parse('env: {}').run.stopTimeoutMs).toBe(30_000);
    expect(parse('stopTimeout: 2m').run.stopTimeoutMs).toBe(120_000);
    refused('stopTimeout: never', 'run.stopTimeout: expected a duration like 30s or 2m, got "never"');
  });

  it('puts every setting in run.container together', () => {
    const app = parse('command: [bin/web]\nuser: "1000:1000"\nvolumes: ["data:/data"]\nmemory: 256m\ncpus: 1.5');
    expect(app.run.container).toEqual({ command: ['bin/web'], user: '1000:1000', volumes: ['data:/data'], memoryBytes: 256 * 1024 ** 2, cpus: 1.5 });
    expect(parse('env: {}').run).not.toHaveProperty('container');
  });

  it('reports every bad key at once and returns nothing', () => {
    let thrown: unknown;
    let parsed: unknown;
    try {
      parsed = parseAppsFile(file('memory: 1k\ncpus: 0\nuser: "a b"\nvolumes: [x]\nenv: { K: { fromEnv: "" } }'), 'deckhand.yml');
    } catch (error) {
      thrown = error;
    }
    expect(parsed).toBeUndefined();
    const lines = (thrown as Error).message.split('\n');
    expect(lines.map((line) => line.split(':').slice(0, 2).join(':'))).toEqual(
      expect.arrayContaining(['deckhand.yml: app "a14-run", key run.memory', 'deckhand.yml: app "a14-run", key run.cpus', 'deckhand.yml: app "a14-run", key run.user', 'deckhand.yml: app "a14-run", key run.volumes.0', 'deckhand.yml: app "a14-run", key run.env.K.fromEnv']),
    );
    expect(lines).toHaveLength(5);
  });
});
