import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Its own build of the bundle (scripts/bundle-cli.mjs), so that a suite rebuilding dist/bundle meanwhile changes nothing here. */
const OUT = `dist/bundle-code-cache-test-${process.pid}`;
const DEBUG = /^deckhand: code cache: .*\n/gm;

/**
 * The shipped CLI's V8 code cache (src/cli-cache/code-cache.ts), with real processes: the second run of a command
 * compiles from the cache the first wrote, a cache that is corrupted or that someone else could have written is not
 * used, and whatever happens to the cache, the command's output and exit code are the same.
 */
describe.skipIf(!(await havePostgres()))('the CLI code cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-code-cache-'));
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    const bundled = spawnSync(process.execPath, ['scripts/bundle-cli.mjs'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DECKHAND_BUNDLE_OUTDIR: OUT } });
    expect(bundled.stderr).toBe('');
    expect(bundled.status).toBe(0);
    writeFileSync(join(dir, 'deckhand.yml'), 'apps:\n  e-cache:\n    source: { image: "example/web:1" }\n    run: { port: 18082 }\n');
    db = await createScratchDatabase('e_code_cache');
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(ROOT, OUT), { recursive: true, force: true });
  });

  /** One CLI run with its cache under `cacheHome`: exit code, output without the debug lines, and those lines. */
  const run = (cacheHome: string, args: string[], extra: Record<string, string> = {}) => {
    const result = spawnSync(process.execPath, [join(OUT, 'main-cli.js'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        XDG_CACHE_HOME: cacheHome,
        DATABASE_URL: db.url,
        DECKHAND_CONFIG: join(dir, 'deckhand.yml'),
        DECKHAND_DATA_DIR: join(dir, 'data'),
        DECKHAND_PROXY: 'none',
        DECKHAND_CLI_LOCAL: '1',
        DECKHAND_DEBUG_CODE_CACHE: '1',
        ...extra,
      },
    });
    return {
      status: result.status,
      output: { status: result.status, stdout: result.stdout, stderr: result.stderr.replace(DEBUG, '') },
      cache: result.stderr.match(DEBUG)?.map((line) => line.replace(/^deckhand: code cache: |\n$/g, '')) ?? [],
    };
  };
  let homes = 0;
  const freshHome = () => join(dir, `cache-${++homes}`);
  const cacheFiles = (home: string) => (existsSync(join(home, 'deckhand')) ? readdirSync(join(home, 'deckhand')).sort() : []);
  const COMMANDS = [['deploys', 'e-cache', '--json'], ['deploys', 'e-cache'], ['help'], ['deploys', 'nope'], ['bogus']];

  it('writes the cache on the first successful run, compiles from it on the next, with the same output and exit code', () => {
    const home = freshHome();
    const first = run(home, ['deploys', 'e-cache', '--json']);
    expect(first.output).toMatchObject({ status: 0, stdout: '[]\n', stderr: '' });
    expect(first.cache).toEqual(['cli-core: miss', 'cli-store: miss', 'cli-core: written', 'cli-store: written']);
    const files = cacheFiles(home);
    expect(files).toEqual([expect.stringMatching(/^cli-core-[0-9a-f]{32}\.cache$/), expect.stringMatching(/^cli-store-[0-9a-f]{32}\.cache$/)]);
    expect(statSync(join(home, 'deckhand')).mode & 0o777).toBe(0o700);
    for (const file of files) expect(statSync(join(home, 'deckhand', file)).mode & 0o777).toBe(0o600);

    const second = run(home, ['deploys', 'e-cache', '--json']);
    expect(second.cache).toEqual(['cli-core: hit', 'cli-store: hit']);
    expect(second.output).toEqual(first.output);
    expect(cacheFiles(home)).toEqual(files);
  });

  it('gives every command the same output and exit code with no cache, a cache being written, and a cache used', () => {
    const home = freshHome();
    for (const args of COMMANDS) {
      const off = run(home, args, { DECKHAND_NO_CODE_CACHE: '1' });
      const writing = run(home, args);
      const cached = run(home, args);
      expect(writing.output, args.join(' ')).toEqual(off.output);
      expect(cached.output, args.join(' ')).toEqual(off.output);
    }
    expect(run(home, ['deploys', 'nope']).status).toBe(1);
    expect(run(home, ['help']).cache).toEqual(['cli-core: hit']);
  });

  it('writes no cache after a usage error: the command did not run, so the cache would hold little of it', () => {
    const home = freshHome();
    const failed = run(home, ['deploys', 'e-cache', 'extra']);
    expect(failed.status).toBe(2);
    expect(failed.cache).toEqual(['cli-core: miss', 'cli-store: miss']);
    expect(cacheFiles(home)).toEqual([]);
  });

  it('does not use a corrupted cache: V8 rejects it, the command runs the same and the cache is written again', () => {
    const home = freshHome();
    const clean = run(home, ['deploys', 'e-cache']);
    for (const [i, file] of cacheFiles(home).entries()) {
      const path = join(home, 'deckhand', file);
      const bytes = readFileSync(path);
      // Garbage for one, the cache cut short for the other.
      writeFileSync(path, i === 0 ? Buffer.alloc(bytes.length, 0x5a) : bytes.subarray(0, bytes.length >> 1));
    }
    const corrupted = run(home, ['deploys', 'e-cache']);
    expect(corrupted.output).toEqual(clean.output);
    expect(corrupted.cache).toEqual(['cli-core: rejected', 'cli-store: rejected', 'cli-core: written', 'cli-store: written']);
    expect(run(home, ['deploys', 'e-cache']).cache).toEqual(['cli-core: hit', 'cli-store: hit']);
  });

  it('does not read a cache file that others can write or that is not its own', () => {
    const home = freshHome();
    const clean = run(home, ['deploys', 'e-cache']);
    const [core, store] = cacheFiles(home).map((file) => join(home, 'deckhand', file));
    chmodSync(store!, 0o666);
    const writable = run(home, ['deploys', 'e-cache']);
    expect(writable.output).toEqual(clean.output);
    expect(writable.cache).toEqual(['cli-core: hit', 'cli-store: miss', 'cli-store: written']);
    expect(statSync(store!).mode & 0o777).toBe(0o600); // replaced by its own

    if (process.getuid?.() === 0) {
      chownSync(core!, 65534, 65534);
      const foreign = run(home, ['deploys', 'e-cache']);
      expect(foreign.output).toEqual(clean.output);
      expect(foreign.cache).toEqual(['cli-core: miss', 'cli-store: hit', 'cli-core: written']);
      expect(statSync(core!).uid).toBe(0);
    }
  });

  it('runs without a cache, reading and writing nothing, when the directory is not private', () => {
    const home = freshHome();
    const clean = run(home, ['deploys', 'e-cache']);
    const before = cacheFiles(home);
    chmodSync(join(home, 'deckhand'), 0o777);
    for (const args of COMMANDS) {
      const open = run(home, args);
      expect(open.cache.every((line) => line.endsWith(': unsafe')), args.join(' ')).toBe(true);
      expect(open.output.status, args.join(' ')).toBe(run(home, args, { DECKHAND_NO_CODE_CACHE: '1' }).status);
    }
    expect(run(home, ['deploys', 'e-cache']).output).toEqual(clean.output);
    expect(cacheFiles(home)).toEqual(before);
  });

  it('DECKHAND_NO_CODE_CACHE=1 reads and writes nothing, not even the directory', () => {
    const home = freshHome();
    const off = run(home, ['deploys', 'e-cache'], { DECKHAND_NO_CODE_CACHE: '1' });
    expect(off.output.status).toBe(0);
    expect(off.cache).toEqual(['cli-core: off', 'cli-store: off']);
    expect(existsSync(home)).toBe(false);
  });
});
