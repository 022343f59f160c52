/**
 * Loads one of the CLI's CommonJS bundles (scripts/bundle-cli.mjs) through V8's code cache: Node 20 has no compile
 * cache for ES modules (module.enableCompileCache is Node 22+), so without this every command parses and compiles its
 * ~1 MB of JS again. The cache is what V8 compiled while a command ran (script.createCachedData() after the run, so
 * the lazily compiled functions are in it), kept per user under $XDG_CACHE_HOME/deckhand (default ~/.cache/deckhand).
 *
 * A code cache is executable code: it is read only from a directory of this user's that nobody else can write to,
 * from a file of this user's that nobody else can write to, named by a hash of the bundle's content, the node version
 * and the architecture (V8 itself checks little more than the source's length). Written once (absent or rejected, and
 * the command ran: exit code 0 or 1), atomically. Any failure only means running without the cache: never a different output or
 * exit code. DECKHAND_NO_CODE_CACHE=1 turns it off (nothing read, nothing written); DECKHAND_DEBUG_CODE_CACHE=1 says
 * on stderr what happened.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Stats, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';

export interface LoadedBundle<T> {
  exports: T;
  /** Writes the cache when there was none (or V8 rejected it): call after the command ran, so it holds what ran. */
  saveCache(): void;
}

type State = 'off' | 'unsafe' | 'miss' | 'rejected' | 'hit';

/** Caches of an older build of the same bundle are removed when one is written, once this old (other checkouts may share the directory). */
const STALE_MS = 7 * 24 * 3600_000;
/** A cache larger than this is not one of ours. */
const MAX_BYTES = 64 * 1024 * 1024;

/** Runs the CommonJS bundle `file` as Node would (same wrapper, require, __filename), with a code cache when safe. */
export function loadBundle<T>(file: string, env: NodeJS.ProcessEnv = process.env): LoadedBundle<T> {
  const bytes = readFileSync(file);
  const source = bytes.toString('utf8');
  const name = basename(file).replace(/\.c?js$/, '');
  let state: State = 'off';
  let cacheFile: string | undefined;
  let cached: Buffer | undefined;
  if (!disabled(env)) {
    const dir = quietly(() => cacheDir(env));
    if (dir === undefined) state = 'unsafe';
    else {
      cacheFile = join(dir, `${name}-${hashOf(bytes)}.cache`);
      cached = quietly(() => readOwn(cacheFile!));
      state = 'miss';
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: file,
    ...(cached ? { cachedData: cached } : {}),
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cached) state = script.cachedDataRejected ? 'rejected' : 'hit';
  debug(env, `${name}: ${state}`);
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  let saved = false;
  return {
    exports: module.exports,
    saveCache() {
      if (saved || cacheFile === undefined || (state !== 'miss' && state !== 'rejected')) return;
      saved = true;
      const written = quietly(() => writeAtomically(cacheFile!, name, script.createCachedData()));
      debug(env, `${name}: ${written ? 'written' : 'not written'}`);
    },
  };
}

function disabled(env: NodeJS.ProcessEnv): boolean {
  const value = env.DECKHAND_NO_CODE_CACHE;
  return value !== undefined && value !== '' && value !== '0';
}

function debug(env: NodeJS.ProcessEnv, text: string): void {
  if (env.DECKHAND_DEBUG_CODE_CACHE === '1') process.stderr.write(`deckhand: code cache: ${text}\n`);
}

/** undefined instead of a throw: every failure of the cache means running without it. */
function quietly<R>(fn: () => R): R | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function hashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
}

/** Owned by this user and writable by nobody else (no group or world write bit). */
function ownAndPrivate(stat: Stats): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && stat.uid === uid && (stat.mode & 0o022) === 0;
}

/** The cache directory, created 0700; undefined (no cache) unless it is a real directory of this user's that only it can write. */
function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  const dir = join(base, 'deckhand');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  return stat.isDirectory() && ownAndPrivate(stat) ? dir : undefined;
}

/** The cache file's bytes, unless it is missing, a link, not a regular file, or not this user's alone. */
function readOwn(file: string): Buffer | undefined {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || !ownAndPrivate(stat) || stat.size === 0 || stat.size > MAX_BYTES) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Temp file + rename: a reader sees the old cache, none, or the whole new one. Week-old caches of older builds of the bundle go. */
function writeAtomically(file: string, name: string, data: Buffer): true {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    quietly(() => unlinkSync(temp));
    throw error;
  }
  const dir = dirname(file);
  const older = new RegExp(`^${name}-[0-9a-f]{32}\\.cache(\\.\\d+\\.[0-9a-f]{8}\\.tmp)?$`);
  for (const entry of readdirSync(dir)) {
    if (entry === basename(file) || !older.test(entry)) continue;
    quietly(() => Date.now() - lstatSync(join(dir, entry)).mtimeMs > STALE_MS && unlinkSync(join(dir, entry)));
  }
  return true;
}
