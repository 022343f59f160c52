import { z } from 'zod';
import type { ContainerSettings } from '../domain/apps.js';
import { argvField, durationField, envField, offOrDurationField } from './fields.js';

/** `run:` of an app in deckhand.yml: how the web container runs, and the settings its processes share. */

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;
const VOLUME_RULE = 'expected Docker\'s short syntax: name:/path, /host/path:/path, optionally followed by :ro or :rw';

/** Why an absolute path is refused, if it is: `..` or empty segments (`//`) or a trailing `/`. */
function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'is not an absolute path';
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  if (segments.includes('..') || segments.includes('.')) return 'contains "." or ".."';
  if (segments.includes('')) return 'contains an empty part ("//" or a trailing "/")';
  return undefined;
}

/** Why one `run.volumes` entry is refused, if it is. */
export function volumeProblem(entry: string): string | undefined {
  const parts = entry.split(':');
  if (parts.length < 2 || parts.length > 3) return `${JSON.stringify(entry)}: ${VOLUME_RULE}`;
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (source === '' || target === '' || mode === '') return `${JSON.stringify(entry)} has an empty part: ${VOLUME_RULE}`;
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') return `${JSON.stringify(entry)}: the mode must be ro or rw, got ${JSON.stringify(mode)}`;
  if (source.startsWith('/')) {
    const problem = pathProblem(source);
    if (problem) return `${JSON.stringify(entry)}: the host path ${problem}`;
  } else if (!VOLUME_NAME.test(source)) {
    return `${JSON.stringify(entry)}: the source must be a volume name (letters, digits, "_", "." and "-", at least 2, starting with a letter or digit) or an absolute host path; relative paths are not allowed`;
  }
  const problem = pathProblem(target);
  if (problem) return `${JSON.stringify(entry)}: the path in the container ${problem}`;
  if (target === '/') return `${JSON.stringify(entry)}: cannot mount over / of the container`;
  return undefined;
}

const volumesField = z.array(z.string()).superRefine((entries, ctx) => {
  const targets = new Map<string, string>();
  entries.forEach((entry, index) => {
    const problem = volumeProblem(entry);
    if (problem) return ctx.addIssue({ code: 'custom', message: problem, path: [index] });
    const target = entry.split(':')[1]!;
    const other = targets.get(target);
    if (other !== undefined) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)} mounts ${target} again (already mounted by ${JSON.stringify(other)})`, path: [index] });
    targets.set(target, entry);
  });
});

const MEMORY_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
/** Docker refuses a memory limit below 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 ** 2;

/** `512m`, `1g`, `256k`, `1.5g`, or a number of bytes. */
export function parseMemory(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)([bkmg])$/i.exec(value.trim());
  if (!match) return /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  return Math.floor(Number(match[1]) * MEMORY_UNITS[match[2]!.toLowerCase()]!);
}

const memoryField = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseMemory(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size like 512m, 1g or 256k, or a number of bytes, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  if (bytes < MIN_MEMORY_BYTES) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is below Docker's minimum of 6m` });
    return z.NEVER;
  }
  return bytes;
});

const cpusField = z.number({ error: 'expected a number of CPUs such as 0.5 or 2' }).superRefine((value, ctx) => {
  if (!Number.isFinite(value) || value < 0.01 || value > 1024) ctx.addIssue({ code: 'custom', message: `expected a number of CPUs from 0.01 to 1024, got ${value}` });
});

const USER_PART = '(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}|\\d{1,10})';
const userField = z
  .string()
  .regex(new RegExp(`^${USER_PART}(?::${USER_PART})?$`), 'expected name, uid, uid:gid or name:group (letters, digits, "_", "." and "-"; names start with a letter or "_")');

export const RunSchema = z
  .object({
    port: z.number().int().min(1).max(65535),
    health: z.string().startsWith('/', 'must be an HTTP path starting with "/"').default('/'),
    healthTimeout: durationField.default(30_000),
    watch: offOrDurationField.default(60_000),
    env: envField,
    release: z.array(z.string().min(1)).min(1, 'an argv array such as ["npm", "run", "migrate"]').max(64).optional(),
    command: argvField.optional(),
    user: userField.optional(),
    volumes: volumesField.optional(),
    memory: memoryField.optional(),
    cpus: cpusField.optional(),
    stopTimeout: durationField.default(30_000),
  })
  .strict();

export type RunSection = z.infer<typeof RunSchema>;

/** The container settings of `run:`, only those set (undefined when none is). */
export function containerSettings(run: RunSection): ContainerSettings | undefined {
  const settings: ContainerSettings = {
    ...(run.command ? { command: run.command } : {}),
    ...(run.user !== undefined ? { user: run.user } : {}),
    ...(run.volumes && run.volumes.length > 0 ? { volumes: run.volumes } : {}),
    ...(run.memory !== undefined ? { memoryBytes: run.memory } : {}),
    ...(run.cpus !== undefined ? { cpus: run.cpus } : {}),
  };
  return Object.keys(settings).length > 0 ? settings : undefined;
}
