import { validate } from 'node-cron';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { DeckhandError } from '../domain/errors.js';
import { nodeEnginesField } from './node-engines.js';
import { registryAuthField } from './registry-auth.js';

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration like 500ms, 30s, 5m or 1h` });
        return z.NEVER;
      }
      return ms;
    });

/** `DECKHAND_PORT_RANGE`: `from-to`, both in 1024–65535. */
const portRange = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return undefined;
    const match = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
    const [from, to] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
    if (!(from >= 1024 && to <= 65535 && from <= to)) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a port range like 10000-14999 (both ends in 1024–65535, the first not above the second)` });
      return z.NEVER;
    }
    return { from, to };
  });

const cronExpression = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((value) => validate(value), 'is not a cron expression (e.g. "0 3 * * *")');

const optionalUrl = z
  .string()
  .url()
  .optional()
  .or(z.literal('').transform(() => undefined));

/** A PEM file with at least one certificate, readable now. */
const caFile = z
  .string()
  .optional()
  .transform((path) => (path === '' ? undefined : path))
  .refine((path) => {
    if (path === undefined) return true;
    try {
      return readFileSync(path, 'utf8').includes('-----BEGIN CERTIFICATE-----');
    } catch {
      return false;
    }
  }, 'must be a readable PEM file holding a CA certificate');

const EnvSchema = z.object({
  DATABASE_URL: optionalUrl,
  DECKHAND_DATA_DIR: z.string().min(1).default('.deckhand'),
  DECKHAND_CONFIG: z.string().min(1).default('./deckhand.yml'),
  /** Caddy's admin API: an http URL, or `unix//<absolute path>` for one on a Unix socket (Caddy's own notation). */
  DECKHAND_CADDY_ADMIN_URL: z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .refine((value) => value === undefined || /^unix\/\/\S+$/.test(value) || URL.canParse(value), 'must be an http URL (http://127.0.0.1:2019) or unix//<socket path>'),
  /**
   * `caddy` (default): zero downtime through Caddy, the operator's (DECKHAND_CADDY_ADMIN_URL) or else deckhand's own
   * when `caddy` is on the PATH. `none`: the recreate strategy on purpose (each deploy drops requests).
   */
  DECKHAND_PROXY: z.enum(['caddy', 'none']).default('caddy'),
  DECKHAND_PUBLIC_HOST: z.string().default(''),
  DECKHAND_DRAIN: duration('2s'),
  DECKHAND_LOCK_LEASE: duration('60s'),
  DECKHAND_WATCHDOG_INTERVAL: duration('15s'),
  DECKHAND_LOG_TAIL_LINES: z.coerce.number().int().min(10).max(10_000).default(200),
  /**
   * Where apps WITHOUT a `target` run (an app's `target: docker | swarm` overrides it). `docker` (default):
   * containers on the Docker host of DOCKER_SOCKET. `swarm`: a service per deployment on a Docker Swarm, driven
   * through a MANAGER's API (DOCKER_SOCKET or DOCKER_HOST points at it); needs Caddy.
   */
  DECKHAND_RUNTIME: z.enum(['docker', 'swarm']).default('docker'),
  DOCKER_SOCKET: z.string().optional(),
  /**
   * Ports handed to new containers on the Docker host (beside the old one, behind Caddy). Default 10000-14999: outside
   * Linux's ephemeral range, where any outgoing connection could hold the port before the app binds it.
   */
  DECKHAND_PORT_RANGE: portRange,
  /** Swarm: the other nodes' own engines, for retention to remove pruned images there (see config/node-engines.ts). */
  DECKHAND_SWARM_NODE_ENGINES: nodeEnginesField,
  /** Bound on every Docker call, and on how long a silent build or pull goes on while Docker does not answer. */
  DECKHAND_DOCKER_TIMEOUT: duration('10s'),
  /** Registry credentials by host, JSON (see config/registry-auth.ts); else the operator's Docker config.json. */
  DECKHAND_REGISTRY_AUTH: registryAuthField,
  /** A CA certificate (PEM) the registry HTTP API client trusts, for a registry behind a private or self-signed CA. */
  DECKHAND_REGISTRY_CA: caFile,
  /** Registry hosts (host:port, comma-separated) whose HTTP API is plain HTTP, as Docker's `insecure-registries`. */
  DECKHAND_REGISTRY_INSECURE: z.string().default('').transform((text) => text.split(',').map((h) => h.trim()).filter(Boolean)),
  /** Docker's own: the directory of the operator's config.json (default ~/.docker). */
  DOCKER_CONFIG: z.string().optional(),
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'a bot token starts with xoxb-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'an app-level token starts with xapp-').optional(),
  SLACK_API_URL: optionalUrl,
  DECKHAND_PRUNE_CRON: cronExpression('0 3 * * *'),
  DECKHAND_SUMMARY_CRON: cronExpression('0 9 * * 1'),
  DECKHAND_REPORT_CHANNEL: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123ABCD').optional(),
  TZ: z.string().optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
});

export type Env = z.infer<typeof EnvSchema>;

/** Parses the environment once. Every bad or missing variable is named in one message. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new DeckhandError('config_invalid', `Invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}
