import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DeckhandError } from '../../domain/errors.js';
import type { RegistryCredentials } from './credentials.js';

const HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A config.json key or a host as one comparable `host[:port]`: `https://host:5000/v1/` -> `host:5000`. */
export function normalizeHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return HUB_ALIASES.has(host) ? HUB : host;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The operator's Docker config.json, as Docker reads it: a `credHelpers` entry for the host first, then the `auths`
 * entry (`auth` = base64 `user:password`, or `username`/`password`, or `identitytoken`), then `credsStore`.
 * Undefined when the file is missing or has nothing for the host.
 */
export async function fromDockerConfig(host: string, path: string, options: { helpers: boolean; timeoutMs: number }): Promise<RegistryCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DeckhandError('registry_auth_failed', `Could not read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}.`, { path });
  }
  let config: DockerConfigFile;
  try {
    config = JSON.parse(text) as DockerConfigFile;
  } catch {
    throw new DeckhandError('registry_auth_failed', `${path} is not valid JSON.`, { path });
  }
  const wanted = normalizeHost(host);
  const keyed = <T>(record: Record<string, T> | undefined) => Object.entries(record ?? {}).find(([key]) => normalizeHost(key) === wanted);
  const helper = keyed(config.credHelpers);
  if (helper) return options.helpers ? runHelper(host, helper[0], String(helper[1]), `credHelpers in ${path}`, options.timeoutMs) : undefined;
  const entry = keyed(config.auths);
  if (entry) {
    const found = fromAuthEntry(host, entry[1], path);
    if (found) return found;
  }
  if (config.credsStore && options.helpers) return runHelper(host, entry?.[0] ?? host, config.credsStore, `credsStore in ${path}`, options.timeoutMs);
  return undefined;
}

function fromAuthEntry(host: string, entry: NonNullable<DockerConfigFile['auths']>[string], path: string): RegistryCredentials | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) return { host, source: path, identityToken: entry.identitytoken };
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new DeckhandError('registry_auth_failed', `${path}: auths["${host}"].auth is not base64 of user:password.`, { path, host });
    return { host, source: path, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username && entry.password) return { host, source: path, username: entry.username, password: entry.password };
  return undefined;
}

/**
 * `docker-credential-<name> get` with the server address on stdin (argv, never a shell), bounded in time. Its
 * answer `{ Username, Secret }`; `<token>` as the user means the secret is an identity token. "not found" is none.
 */
function runHelper(host: string, serverAddress: string, name: string, where: string, timeoutMs: number): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${name}`;
  if (!HELPER_NAME.test(name)) throw new DeckhandError('registry_auth_failed', `The credential helper named in ${where} is not a valid helper name.`, { host });
  const source = `${program} (${where})`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20, env: process.env }, (error, stdout) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new DeckhandError('registry_auth_failed', `The credential helper ${program} (${where}) is not installed or not on the PATH; it is needed for ${host}.`, { host, helper: program }));
        if (/credentials not found/i.test(String(stdout))) return resolve(undefined);
        const why = error.killed ? `did not answer within ${Math.round(timeoutMs / 1000)}s` : `failed (exit ${String(code ?? error.signal ?? '?')})`;
        return reject(new DeckhandError('registry_auth_failed', `The credential helper ${program} (${where}) ${why} for ${host}.`, { host, helper: program }));
      }
      let answer: { Username?: unknown; Secret?: unknown };
      try {
        answer = JSON.parse(String(stdout)) as typeof answer;
      } catch {
        return reject(new DeckhandError('registry_auth_failed', `The credential helper ${program} (${where}) gave an answer that is not JSON for ${host}.`, { host, helper: program }));
      }
      const user = typeof answer.Username === 'string' ? answer.Username : '';
      const secret = typeof answer.Secret === 'string' ? answer.Secret : '';
      if (!secret) return resolve(undefined);
      resolve(user === '<token>' ? { host, source, identityToken: secret } : { host, source, username: user, password: secret });
    });
    child.stdin?.on('error', () => undefined); // a helper that exits without reading stdin
    child.stdin?.end(serverAddress);
  });
}
