import { describe, expect, it } from 'vitest';
import { parseAppsFile } from '../../src/config/apps-file.js';
import { loadEnv } from '../../src/config/env.js';
import { formatDuration, parseDuration } from '../../src/domain/duration.js';

const EXAMPLE = `apps:
  hello:
    source:
      git: file:///srv/repos/hello.git   # any URL git can fetch; or \`image: registry/name\` for image-only apps
      branch: main
      dockerfile: Dockerfile
    run:
      port: 18080          # where users reach the app on this host
      health: /healthz     # HTTP path that must answer 2xx before traffic moves
      healthTimeout: 30s
      env: { GREETING: hi }
    migrations:
      paths: [migrations/]
`;

describe('deckhand.yml', () => {
  it('accepts the documented example as written', () => {
    expect(parseAppsFile(EXAMPLE, 'deckhand.yml')).toEqual([
      {
        name: 'hello',
        source: { kind: 'git', url: 'file:///srv/repos/hello.git', branch: 'main', dockerfile: 'Dockerfile' },
        run: { port: 18080, health: '/healthz', healthTimeoutMs: 30_000, watchMs: 60_000, env: { GREETING: 'hi' }, stopTimeoutMs: 30_000 },
        migrations: { paths: ['migrations/'] },
        retention: { keepLast: 10, keepDays: 30 },
      },
    ]);
  });

  it('fills defaults for an image-only app', () => {
    const [app] = parseAppsFile('apps:\n  web:\n    source: { image: "127.0.0.1:5000/web" }\n    run: { port: 8080, env: { N: 1, B: true } }\n', 'f.yml');
    expect(app).toEqual({
      name: 'web',
      source: { kind: 'image', image: '127.0.0.1:5000/web', pull: 'missing' },
      run: { port: 8080, health: '/', healthTimeoutMs: 30_000, watchMs: 60_000, env: { N: '1', B: 'true' }, stopTimeoutMs: 30_000 },
      migrations: { paths: [] },
      retention: { keepLast: 10, keepDays: 30 },
    });
  });

  const broken = (from: string, to: string) => EXAMPLE.replace(from, to);
  it.each([
    [broken('      port: 18080          # where users reach the app on this host\n', ''), 'deckhand.yml: app "hello", key run.port: is required but missing'],
    [broken('branch: main', 'branch: a..b'), 'deckhand.yml: app "hello", key source.branch: the ref contains ".."'],
    [broken('git: file', 'gti: file'), 'deckhand.yml: app "hello", key source.git: is required but missing'],
    [broken('healthTimeout: 30s', 'healthTimeout: soon'), 'deckhand.yml: app "hello", key run.healthTimeout: expected a duration like 30s or 2m, got "soon"'],
    [broken('health: /healthz', 'health: healthz'), 'deckhand.yml: app "hello", key run.health: must be an HTTP path starting with "/"'],
    [broken('port: 18080', 'port: 70000'), 'deckhand.yml: app "hello", key run.port: Too big: expected number to be <=65535'],
    [broken('      env: { GREETING: hi }', '      env: { GREETING: hi }\n      replicas: 3'), 'deckhand.yml: app "hello", key run: unknown key(s) "replicas"'],
    [broken('dockerfile: Dockerfile', 'dockerfile: ../Dockerfile'), 'deckhand.yml: app "hello", key source.dockerfile: must be a path inside the repository'],
    [broken('git: file:///srv/repos/hello.git', 'git: "ext::sh -c touch% /tmp/pwned"'), 'deckhand.yml: app "hello", key source.git: the ext:: transport runs commands and is not allowed'],
    ['apps:\n  Bad_Name:\n    source: { image: x }\n    run: { port: 1 }\n', 'deckhand.yml: app name "Bad_Name" is invalid: app names are lower-case letters, digits and "-" (at most 40), starting with a letter or digit'],
    ['apps:\n  a:\n    source: { image: x }\n    run: { port: 1 }\n  b:\n    source: { image: y }\n    run: { port: 1 }\n', 'deckhand.yml: app "b", key run.port: port 1 is already used by app "a"'],
    ['apps: [\n', /deckhand\.yml: not valid YAML/],
  ])('names the file, app and key: %#', (text, message) => {
    expect(() => parseAppsFile(text, 'deckhand.yml')).toThrow(expect.objectContaining({ code: 'config_invalid', message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) }));
  });
});

describe('retention settings', () => {
  it('a global default, overridden key by key per app', () => {
    const apps = parseAppsFile('retention: { keepLast: 5 }\napps:\n  a:\n    source: { image: x }\n    run: { port: 1 }\n  b:\n    source: { image: y }\n    run: { port: 2 }\n    retention: { keepDays: 7 }\n', 'f.yml');
    expect(apps.map((a) => a.retention)).toEqual([{ keepLast: 5, keepDays: 30 }, { keepLast: 5, keepDays: 7 }]);
  });

  it('refuses nonsense', () => {
    expect(() => parseAppsFile('apps:\n  a:\n    source: { image: x }\n    run: { port: 1 }\n    retention: { keepLast: -1 }\n', 'f.yml')).toThrow(/app "a", key retention\.keepLast/);
  });
});

describe('environment', () => {
  it('has sensible defaults', () => {
    expect(loadEnv({})).toMatchObject({ DECKHAND_DATA_DIR: '.deckhand', DECKHAND_CONFIG: './deckhand.yml', DECKHAND_DRAIN: 2000, DECKHAND_LOCK_LEASE: 60_000 });
    expect(loadEnv({}).DATABASE_URL).toBeUndefined();
    expect(loadEnv({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('validates cron expressions and has nightly and weekly defaults', () => {
    expect(loadEnv({})).toMatchObject({ DECKHAND_PRUNE_CRON: '0 3 * * *', DECKHAND_SUMMARY_CRON: '0 9 * * 1' });
    expect(() => loadEnv({ DECKHAND_PRUNE_CRON: 'every night' })).toThrow(/DECKHAND_PRUNE_CRON: is not a cron expression/);
  });

  it('names every bad variable in one message', () => {
    expect(() => loadEnv({ DATABASE_URL: 'not a url', DECKHAND_DRAIN: 'later' })).toThrow(
      expect.objectContaining({ code: 'config_invalid', message: expect.stringMatching(/DATABASE_URL: .*\n.*DECKHAND_DRAIN: "later" is not a duration/s) }),
    );
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['15', 15_000],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '10 s', '5x', '1m soon'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats for humans', () => {
    expect(formatDuration(420)).toBe('420 ms');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(150_000)).toBe('2 min 30 s');
  });
});
