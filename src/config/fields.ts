import { z } from 'zod';
import type { SecretRef } from '../domain/apps.js';
import { parseDuration } from '../domain/duration.js';

/** Field types shared by the sections of deckhand.yml: durations, argv arrays, env values. */

export const durationField = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s or 2m, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

/** A duration where 0 means "off" (e.g. `watch: 0`). */
export const offOrDurationField = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = value === 0 || value === '0' ? 0 : parseDuration(value);
  if (ms === undefined || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 60s or 2m, or 0 to turn it off, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

const ARGV_RULE = 'expected an argv array such as ["bin/worker", "--queue", "default"] (no shell string)';

/** A command as an argv array: at least the program, which is not empty; no NUL anywhere (Docker cannot pass it). */
export const argvField = z.unknown().transform((value, ctx): string[] => {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: 'is required but missing' });
    return z.NEVER;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
    ctx.addIssue({ code: 'custom', message: ARGV_RULE });
    return z.NEVER;
  }
  if (value[0] === '') ctx.addIssue({ code: 'custom', message: 'the program (the first item) is empty' });
  if (value.length > 256) ctx.addIssue({ code: 'custom', message: 'has more than 256 items' });
  if (value.some((item: string) => item.includes('\0'))) ctx.addIssue({ code: 'custom', message: 'contains a NUL character' });
  return value as string[];
});

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_NAME_RULE = 'env names are letters, digits and _, not starting with a digit';

/** One `env` entry: a literal (string, number, boolean) or where to read a secret at deploy time. */
export type EnvValue = { literal: string } | { secret: SecretRef };

const VALUE_RULE = 'expected a string, a number, a boolean, { fromEnv: NAME } or { fromFile: /absolute/path }';

const envValue = (value: unknown, ctx: z.RefinementCtx, path: PropertyKey[]): EnvValue | undefined => {
  if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return { literal: String(value) };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: VALUE_RULE, path });
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || !['fromEnv', 'fromFile'].includes(keys[0]!)) {
    const got = keys.length === 0 ? 'an empty mapping' : keys.map((k) => JSON.stringify(k)).join(', ');
    ctx.addIssue({ code: 'custom', message: `a secret source has exactly one key, fromEnv or fromFile; got ${got}`, path });
    return undefined;
  }
  const source = (value as Record<string, unknown>)[keys[0]!];
  if (keys[0] === 'fromEnv') {
    if (typeof source === 'string' && ENV_NAME.test(source)) return { secret: { fromEnv: source } };
    ctx.addIssue({ code: 'custom', message: `fromEnv must name an environment variable of deckhand (${ENV_NAME_RULE}), got ${JSON.stringify(source)}`, path: [...path, 'fromEnv'] });
    return undefined;
  }
  if (typeof source === 'string' && source.startsWith('/') && !source.includes('\0')) return { secret: { fromFile: source } };
  ctx.addIssue({ code: 'custom', message: `fromFile must be an absolute path such as /run/secrets/db_password, got ${JSON.stringify(source)}`, path: [...path, 'fromFile'] });
  return undefined;
};

/** An `env` mapping (`run.env`, `processes.<name>.env`): every key and value checked, each problem under its own key. */
export const envField = z
  .record(z.string(), z.unknown())
  .default({})
  .transform((entries, ctx): Record<string, EnvValue> => {
    const out: Record<string, EnvValue> = {};
    for (const [name, value] of Object.entries(entries)) {
      if (!ENV_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a valid name: ${ENV_NAME_RULE}`, path: [name] });
        continue;
      }
      const parsed = envValue(value, ctx, [name]);
      if (parsed) out[name] = parsed;
    }
    return out;
  });

/** Splits parsed env entries into literal values and secret sources. */
export function splitEnv(entries: Record<string, EnvValue>): { env: Record<string, string>; secretEnv: Record<string, SecretRef> } {
  const env: Record<string, string> = {};
  const secretEnv: Record<string, SecretRef> = {};
  for (const [name, value] of Object.entries(entries)) {
    if ('literal' in value) env[name] = value.literal;
    else secretEnv[name] = value.secret;
  }
  return { env, secretEnv };
}
