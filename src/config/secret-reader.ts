import { readFileSync } from 'node:fs';
import type { SecretRef } from '../domain/apps.js';
import { DeckhandError } from '../domain/errors.js';
import type { SecretReader } from '../domain/ports.js';

/** Why a file cannot be read, in words; never the file's content, never Node's full message. */
function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'ENOTDIR') return 'a part of its path is not a directory';
  return code ? `error ${code}` : 'unknown error';
}

/**
 * Reads secret env values at deploy time: `fromEnv` from deckhand's environment (`env`, process.env by default),
 * `fromFile` from a file (utf8, one trailing newline stripped, as a mounted secret or `echo > file` leaves it).
 * Failures are `secret_unavailable` naming the source, never a value.
 */
export class EnvAndFileSecretReader implements SecretReader {
  private readonly lookup: (name: string) => string | undefined;

  /** `env`: a record (process.env by default) or a lookup function (compose passes its envLookup). */
  constructor(env: Record<string, string | undefined> | ((name: string) => string | undefined) = process.env) {
    this.lookup = typeof env === 'function' ? env : (name) => env[name];
  }

  read(ref: SecretRef): string {
    if ('fromEnv' in ref) {
      const value = this.lookup(ref.fromEnv);
      if (value === undefined || value === '') throw new DeckhandError('secret_unavailable', `environment variable ${ref.fromEnv} is not set`, { fromEnv: ref.fromEnv });
      return value;
    }
    let text: string;
    try {
      text = readFileSync(ref.fromFile, 'utf8');
    } catch (error) {
      throw new DeckhandError('secret_unavailable', `cannot read file ${ref.fromFile}: ${reasonOf(error)}`, { fromFile: ref.fromFile });
    }
    return text.replace(/\r?\n$/, '');
  }
}

export const createSecretReader = (env?: Record<string, string | undefined> | ((name: string) => string | undefined)): SecretReader => new EnvAndFileSecretReader(env);
