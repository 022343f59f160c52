/**
 * Every failure a user can see has a stable code. Slack, the CLI and HTTP map codes to messages and statuses;
 * tests assert on codes, never on prose.
 */
export const ErrorCodes = {
  config_invalid: 400,
  secret_unavailable: 400,
  unknown_app: 404,
  invalid_ref: 400,
  invalid_image_ref: 400,
  ref_not_found: 404,
  source_unavailable: 502,
  deploy_in_progress: 409,
  out_of_date: 409,
  superseded: 409,
  build_failed: 500,
  image_unavailable: 502,
  registry_auth_failed: 502,
  start_failed: 500,
  health_check_failed: 500,
  release_failed: 500,
  traffic_switch_failed: 502,
  watch_failed: 500,
  not_found: 404,
  invalid_rollback_target: 400,
  already_current: 409,
  app_locked: 423,
  forbidden: 403,
  self_approval: 403,
  approval_closed: 409,
  approval_expired: 410,
  plan_changed: 409,
  already_claimed: 409,
  prune_in_progress: 409,
  invalid_argument: 400,
  database_unavailable: 503,
  docker_unavailable: 503,
  disk_full: 507,
  interrupted: 500,
  cancelled: 409,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class DeckhandError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeckhandError';
    this.code = code;
    this.details = details;
  }

  /** HTTP-like status, as the seed control plane returns (400 invalid target, 404 not found, 409 conflict). */
  get status(): number {
    return ErrorCodes[this.code];
  }
}

export function isDeckhandError(error: unknown, code?: ErrorCode): error is DeckhandError {
  return error instanceof DeckhandError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a DeckhandError, keeping the original as the cause. Database failures are classified. */
export function asDeckhandError(error: unknown, fallback: ErrorCode = 'internal'): DeckhandError {
  if (error instanceof DeckhandError) return error;
  const disk = diskFull(error);
  if (disk) return disk;
  const database = databaseFailure(error);
  if (database) return database;
  const message = error instanceof Error ? error.message : String(error);
  return new DeckhandError(fallback, message, {}, { cause: error });
}

/**
 * Driver codes (postgres.js and Node sockets) and SQLSTATEs meaning "the database is not there right now": a
 * refused or reset connection, a timeout, a server shutting down (57P01-03), any connection exception (08xxx),
 * too many clients (53300), a server that cannot accept connections yet (57P03), and a Unix socket that is not
 * there (ENOENT: the embedded store's process is restarting).
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** Codes only the database driver uses: these mean "database" even when no query wrapper says so. */
const DRIVER_ONLY_CODES = new Set(['CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

function chainOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link = error; link !== undefined && link !== null && chain.length < 10 && !chain.includes(link); link = (link as { cause?: unknown }).cause) chain.push(link);
  return chain;
}

function codeOf(link: unknown): string | undefined {
  const code = typeof link === 'object' && link !== null ? (link as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** drizzle's DrizzleQueryError (by shape, the domain imports no driver): "Failed query: <sql>\nparams: …", with `query`. */
function isQueryWrapper(link: unknown): boolean {
  return link instanceof Error && typeof (link as { query?: unknown }).query === 'string' && link.message.startsWith('Failed query:');
}

/** Marks an error as a database failure (adapters use it for errors the driver raises outside a query). */
export const DATABASE_ERROR = Symbol.for('deckhand.database-error');

function isDatabaseLink(link: unknown): boolean {
  return isQueryWrapper(link) || (typeof link === 'object' && link !== null && DATABASE_ERROR in link);
}

/** The code that says why the database could not be reached, if that is what `error` means. */
export function unreachableDatabaseCode(error: unknown): string | undefined {
  const chain = chainOf(error);
  const fromDatabase = chain.some(isDatabaseLink);
  for (const link of chain) {
    const code = codeOf(link);
    if (!code) continue;
    if (DRIVER_ONLY_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return code;
    if (fromDatabase && UNREACHABLE_CODES.has(code)) return code;
  }
  return undefined;
}

/** The sentence every surface shows when the database is away. */
export function databaseUnavailable(code: string, cause?: unknown): DeckhandError {
  return new DeckhandError('database_unavailable', `deckhand cannot reach its database (${code}).`, { reason: code }, { cause });
}

/**
 * A database failure as a DeckhandError: `database_unavailable` when the database cannot be reached, otherwise
 * `internal` with the server's own sentence. Never the SQL or its parameters. Undefined when `error` is not one.
 */
export function databaseFailure(error: unknown): DeckhandError | undefined {
  const chain = chainOf(error);
  if (chain.some(isDatabaseLink)) {
    const disk = diskFull(error);
    if (disk) return disk;
  }
  const unreachable = unreachableDatabaseCode(error);
  if (unreachable) return databaseUnavailable(unreachable, error);
  const first = chain.findIndex(isDatabaseLink);
  if (first === -1) return undefined;
  // The driver's own error: the first one past drizzle's wrapper (a marked driver error is its own reason).
  const reason = chain.slice(first).find((link) => link instanceof Error && !isQueryWrapper(link)) as (Error & { code?: unknown }) | undefined;
  const sqlState = reason && typeof reason.code === 'string' ? ` [${reason.code}]` : '';
  const sentence = reason ? `${firstLine(reason.message)}${sqlState}` : 'no reason given';
  return new DeckhandError('internal', `A database query failed: ${sentence}.`, {}, { cause: error });
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/^Failed query:.*/, 'query failed').replace(/\.$/, '');
}

/**
 * A write that failed because a disk is full: ENOSPC (or EDQUOT, a quota) from Node, or Postgres's disk_full (53100).
 * Retrying will not help, and "internal" says nothing: the person is told which directory and what to do.
 */
export function diskFull(error: unknown): DeckhandError | undefined {
  const link = chainOf(error).find((l) => ['ENOSPC', 'EDQUOT', '53100'].includes(codeOf(l) ?? ''));
  if (!link) return undefined;
  const code = codeOf(link)!;
  const file = typeof (link as { path?: unknown }).path === 'string' ? (link as { path: string }).path : undefined;
  const dir = file?.includes('/') ? file.slice(0, file.lastIndexOf('/')) || '/' : file;
  const what = code === 'EDQUOT' ? 'the disk quota is used up' : code === '53100' ? `the database's disk is full (${firstLine((link as Error).message ?? '')})` : 'no space left on device';
  return diskFullError(what, dir, code, error);
}

/** The disk_full sentence: what failed, where (when known), how to see it and what to do. */
export function diskFullError(what: string, dir: string | undefined, reason: string, cause: unknown): DeckhandError {
  const where = dir ? ` writing in ${dir}` : '';
  const check = dir ? `\`df -h ${dir}\`` : '`df -h`';
  return new DeckhandError('disk_full', `The disk is full: ${what}${where}. Free space on that disk (${check} shows it; Docker's images are often what fills it: \`docker system df\`), then retry.`, { reason, ...(dir ? { dir } : {}) }, { cause });
}
