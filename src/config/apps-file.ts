import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import type { AppSpec } from '../domain/apps.js';
import { DeckhandError } from '../domain/errors.js';
import { gitRefProblem } from '../domain/refs/git-ref.js';
import { parseImageRef } from '../domain/refs/image-ref.js';
import { SUPPORTED_MIGRATION_TABLES, isSupportedMigrationTable } from '../domain/rollback/migration-tables.js';
import { argvField, durationField, splitEnv } from './fields.js';
import { ProcessesSchema, processSpecs } from './processes-schema.js';
import { RunSchema, containerSettings } from './run-schema.js';

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const APP_NAME_RULE = 'app names are lower-case letters, digits and "-" (at most 40), starting with a letter or digit';

const refField = z.string().superRefine((value, ctx) => {
  const problem = gitRefProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const imageField = z.string().superRefine((value, ctx) => {
  try {
    parseImageRef(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const gitUrlField = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('-'), 'a git URL must not start with "-"')
  .refine((value) => !/^ext::/i.test(value), 'the ext:: transport runs commands and is not allowed');

const registryField = z.string().superRefine((value, ctx) => {
  try {
    const ref = parseImageRef(value);
    if (!ref.domain) ctx.addIssue({ code: 'custom', message: 'must name a registry host, e.g. 127.0.0.1:5000/hello' });
    if (ref.tag || ref.digest) ctx.addIssue({ code: 'custom', message: 'is a repository without a tag; deckhand tags each push deploy-<id>' });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** A Slack user id (U…/W…) or user group id (S…). */
const slackPrincipal = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user id (U…) or user group id (S…)');

const relativePath = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('/') && !value.split('/').includes('..'), 'must be a path inside the repository');

const GitSourceSchema = z
  .object({
    git: gitUrlField,
    branch: refField.default('main'),
    dockerfile: relativePath.default('Dockerfile'),
  })
  .strict();

const ImageSourceSchema = z
  .object({
    image: imageField,
    pull: z.enum(['missing', 'always']).default('missing'),
  })
  .strict();

/** `image:` picks an image-only app; anything else is checked as a git source, so errors name the real key. */
const SourceSchema = z.custom<object>((value) => typeof value === 'object' && value !== null, 'expected a mapping with `git:` or `image:`').transform(
  (value, ctx): z.infer<typeof GitSourceSchema> | z.infer<typeof ImageSourceSchema> => {
    const schema = 'image' in value ? ImageSourceSchema : GitSourceSchema;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
    return z.NEVER;
  },
);

const RetentionSchema = z
  .object({ keepLast: z.number().int().min(0).max(1000).optional(), keepDays: z.number().min(0).max(3650).optional() })
  .strict();

/** Swarm placement constraints as `docker service create --constraint` takes them, e.g. `node.role==worker`. */
const constraintField = z
  .string()
  .regex(/^[A-Za-z0-9_.\-]+\s*(==|!=)\s*\S.*$/, 'a placement constraint such as node.role==worker or node.labels.zone!=a');

const SwarmTargetSchema = z
  .object({
    replicas: z.number().int().min(1).max(100).default(1),
    constraints: z.array(constraintField).max(20).default([]),
    /** Run inside each web task by Swarm: `{url}` is http://127.0.0.1:<port><run.health>, `{port}` the port. */
    healthcheck: argvField.optional(),
  })
  .strict();

/**
 * Where the app runs: `target: docker` (the Docker host), `target: swarm` or `target: { swarm: { replicas,
 * constraints } }` (the Swarm); absent: DECKHAND_RUNTIME. The runtime's needs are checked at start (runtime-target.ts).
 */
const TargetSchema = z.preprocess(
  (value) => (value === 'docker' ? { docker: {} } : value === 'swarm' ? { swarm: {} } : value),
  z
    .object(
      { docker: z.object({}).strict().optional(), swarm: SwarmTargetSchema.optional() },
      { error: (issue) => (issue.code === 'invalid_type' ? 'expected docker, swarm or { swarm: { replicas, constraints } }' : undefined) },
    )
    .strict()
    .refine((t) => !(t.docker && t.swarm), 'name one runtime: docker or swarm, not both'),
);

const AppSchema = z
  .object({
    source: SourceSchema,
    run: RunSchema,
    processes: ProcessesSchema.optional(),
    access: z
      .object({ deploy: z.array(slackPrincipal).optional(), rollback: z.array(slackPrincipal).optional() })
      .strict()
      .optional(),
    approval: z
      .object({
        when: z.enum(['always', 'channels']).default('always'),
        channels: z.array(z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123ABCD')).default([]),
        approvers: z.array(slackPrincipal).min(1, 'name at least one approver'),
        expiry: durationField.default(1_800_000),
      })
      .strict()
      .refine((a) => a.when === 'always' || a.channels.length > 0, { message: 'when: channels needs at least one channel id', path: ['channels'] })
      .optional(),
    registry: registryField.optional(),
    target: TargetSchema.optional(),
    retention: RetentionSchema.optional(),
    migrations: z
      .object({
        paths: z.array(relativePath).default([]),
        database: z
          .object({
            urlEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable of deckhand holding a read-only database URL'),
            table: z.string().refine((t) => isSupportedMigrationTable(t.split('.').pop()!), `one of ${SUPPORTED_MIGRATION_TABLES.join(', ')} (optionally schema-qualified)`),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ paths: [] }),
  })
  .strict();

const FileSchema = z
  .object({
    /** Default retention for every app; an app's own `retention` overrides it key by key. */
    retention: RetentionSchema.optional(),
    apps: z.record(z.string().regex(APP_NAME, APP_NAME_RULE), AppSchema),
  })
  .strict();

/** Literal values in `env`; secret sources in `secretEnv`, present only when there are any. */
function envOf(entries: Parameters<typeof splitEnv>[0]): Pick<AppSpec['run'], 'env' | 'secretEnv'> {
  const { env, secretEnv } = splitEnv(entries);
  return Object.keys(secretEnv).length > 0 ? { env, secretEnv } : { env };
}

function dropUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describeIssue(file: string, issue: z.core.$ZodIssue): string {
  const [first, app, ...rest] = issue.path.map(String);
  const where = first === 'apps' && app !== undefined ? `app "${app}"${rest.length ? `, key ${rest.join('.')}` : ''}` : `key ${issue.path.join('.') || '(top level)'}`;
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required but missing';
  if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  if (issue.code === 'invalid_key' && first === 'apps' && issue.path.length === 2) return `${file}: app name "${app}" is invalid: ${APP_NAME_RULE}`;
  return `${file}: ${where}: ${message}`;
}

/**
 * `__proto__` as a YAML key would set the prototype of the object it lands in instead of adding a key (the app
 * would silently vanish): refused by name, wherever it appears, before the document becomes objects.
 */
function reservedKeyProblems(doc: Document, file: string): string[] {
  const problems: string[] = [];
  const apps = isMap(doc.contents) ? doc.contents.get('apps', true) : undefined;
  const appKeys = new Set(isMap(apps) ? apps.items.map((pair) => pair.key) : []);
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (key !== '__proto__') return;
      problems.push(appKeys.has(pair.key) ? `${file}: app name "__proto__" is reserved: ${APP_NAME_RULE}` : `${file}: the key "__proto__" is not allowed`);
    },
  });
  return problems;
}

/** Parses deckhand.yml text. Every problem names the file, the app and the key; nothing is returned on error. */
export function parseAppsFile(text: string, file: string): AppSpec[] {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new DeckhandError('config_invalid', `${file}: not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`, { file });
  }
  const reserved = reservedKeyProblems(doc, file);
  if (reserved.length > 0) throw new DeckhandError('config_invalid', reserved.join('\n'), { file, issues: reserved });
  const result = FileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(file, issue));
    throw new DeckhandError('config_invalid', lines.join('\n'), { file, issues: lines });
  }
  const ports = new Map<number, string>();
  return Object.entries(result.data.apps).map(([name, app]) => {
    const other = ports.get(app.run.port);
    if (other) throw new DeckhandError('config_invalid', `${file}: app "${name}", key run.port: port ${app.run.port} is already used by app "${other}"`, { file });
    ports.set(app.run.port, name);
    const source: AppSpec['source'] =
      'git' in app.source
        ? { kind: 'git', url: app.source.git, branch: app.source.branch, dockerfile: app.source.dockerfile }
        : { kind: 'image', image: app.source.image, pull: app.source.pull };
    const container = containerSettings(app.run);
    const processes = processSpecs(app.processes);
    return {
      name,
      source,
      run: {
        port: app.run.port,
        health: app.run.health,
        healthTimeoutMs: app.run.healthTimeout,
        watchMs: app.run.watch,
        ...envOf(app.run.env),
        ...(container ? { container } : {}),
        stopTimeoutMs: app.run.stopTimeout,
        ...(app.run.release ? { release: app.run.release } : {}),
      },
      ...(processes ? { processes } : {}),
      access: app.access,
      approval: app.approval && { when: app.approval.when, channels: app.approval.channels, approvers: app.approval.approvers, expiryMs: app.approval.expiry },
      registry: app.registry,
      ...(app.target?.swarm ? { target: { swarm: dropUndefined(app.target.swarm) as NonNullable<NonNullable<AppSpec['target']>['swarm']> } } : {}),
      ...(app.target?.docker ? { target: { docker: true as const } } : {}),
      retention: { keepLast: 10, keepDays: 30, ...dropUndefined(result.data.retention), ...dropUndefined(app.retention) },
      migrations: { paths: app.migrations.paths, database: app.migrations.database },
    };
  });
}

export function loadAppsFile(file: string): AppSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message;
    throw new DeckhandError('config_invalid', `${file}: cannot read the apps file: ${reason}. Pass --config FILE or set DECKHAND_CONFIG.`, { file });
  }
  return parseAppsFile(text, file);
}
