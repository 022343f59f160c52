/**
 * Every failure a user can see has a stable code. Slack, the CLI and HTTP map codes to messages and statuses;
 * tests assert on codes, never on prose.
 */
export const ErrorCodes = {
  config_invalid: 400,
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
  start_failed: 500,
  health_check_failed: 500,
  traffic_switch_failed: 502,
  not_found: 404,
  invalid_rollback_target: 400,
  already_current: 409,
  app_locked: 423,
  forbidden: 403,
  self_approval: 403,
  approval_closed: 409,
  approval_expired: 410,
  already_claimed: 409,
  prune_in_progress: 409,
  invalid_argument: 400,
  database_unavailable: 503,
  docker_unavailable: 503,
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

/** Wraps anything thrown into a DeckhandError, keeping the original as the cause. */
export function asDeckhandError(error: unknown, fallback: ErrorCode = 'internal'): DeckhandError {
  if (error instanceof DeckhandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DeckhandError(fallback, message, {}, { cause: error });
}
