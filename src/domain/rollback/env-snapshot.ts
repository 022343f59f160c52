import { createHmac, randomBytes } from 'node:crypto';
import type { EnvSnapshot } from '../deployment.js';

/**
 * The app's env as name -> HMAC(salt, value), with a fresh random salt per deploy: enough to tell later whether a
 * value changed, never enough to show it. Values are never stored or shown.
 */
export function snapshotEnv(env: Record<string, string>, salt = randomBytes(16).toString('hex')): EnvSnapshot {
  const hashes: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) hashes[name] = hashValue(salt, name, value);
  return { salt, hashes };
}

function hashValue(salt: string, name: string, value: string): string {
  return createHmac('sha256', salt).update(name).update('\0').update(value).digest('hex');
}

export interface EnvNameDiff {
  /** Set now, not at the target deploy. */
  added: string[];
  /** Set at the target deploy, not now. */
  removed: string[];
  /** Set at both, with different values. */
  changed: string[];
}

/** Which env var NAMES differ between a past deploy's snapshot and the env the app has now. */
export function diffEnvNames(then: EnvSnapshot, now: Record<string, string>): EnvNameDiff {
  const thenNames = Object.keys(then.hashes);
  const nowNames = Object.keys(now);
  return {
    added: nowNames.filter((name) => !Object.hasOwn(then.hashes, name)).sort(),
    removed: thenNames.filter((name) => !Object.hasOwn(now, name)).sort(),
    changed: nowNames.filter((name) => Object.hasOwn(then.hashes, name) && hashValue(then.salt, name, now[name]!) !== then.hashes[name]).sort(),
  };
}
