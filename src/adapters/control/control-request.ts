import { parseInvocation } from '../../cli.js';
import { CONTROL_VERSION, type ControlIdentity, type ControlRequest, DELEGABLE } from '../../cli/control-protocol.js';

const FIELDS: Record<keyof ControlRequest, (value: unknown) => string | undefined> = {
  type: (v) => (v === 'run' ? undefined : 'type must be "run"'),
  version: (v) => (v === CONTROL_VERSION ? undefined : `version must be ${CONTROL_VERSION}`),
  argv: (v) => (Array.isArray(v) && v.length <= 64 && v.every((a) => typeof a === 'string' && a.length <= 4096 && !a.includes('\0')) ? undefined : 'argv must be an array of at most 64 strings'),
  actor: (v) => (typeof v === 'string' && v.length > 0 && v.length <= 256 && !/[\p{Cc}]/u.test(v) ? undefined : 'actor must be 1 to 256 printable characters'),
  configPath: (v) => (typeof v === 'string' && v.startsWith('/') && v.length <= 4096 && !v.includes('\0') ? undefined : 'configPath must be an absolute path'),
  configHash: (v) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? undefined : 'configHash must be a sha256 in hex'),
  engine: (v) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? undefined : 'engine must be a sha256 in hex'),
  build: (v) => (typeof v === 'string' && v.length <= 200 ? undefined : 'build must be a short string'),
  json: (v) => (typeof v === 'boolean' ? undefined : 'json must be true or false'),
  tty: (v) => (typeof v === 'boolean' ? undefined : 'tty must be true or false'),
};

/** The request of one line from the CLI, or what is wrong with it (then nothing runs). */
export function parseRequest(line: string): ControlRequest | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'the request is not JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { problem: 'the request must be a JSON object' };
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !Object.hasOwn(FIELDS, key));
  if (unknown.length > 0) return { problem: `unknown field(s): ${unknown.map((key) => JSON.stringify(key)).join(', ')}` };
  for (const [key, check] of Object.entries(FIELDS)) {
    if (!Object.hasOwn(record, key)) return { problem: `missing field "${key}"` };
    const problem = check(record[key]);
    if (problem) return { problem };
  }
  const request = record as unknown as ControlRequest;
  if (request.json !== request.argv.includes('--json')) return { problem: 'json must say whether argv has --json' };
  return request;
}

export type Decision = { refused: 'config' | 'engine' | 'build' | 'command' } | { command: string; app?: string; actor: string };

/**
 * Whether the bot runs the request: only for the apps file, environment and code it runs with itself, and only a
 * command that needs the store (help and usage errors stay with the CLI, whose answer is the same and costs nothing).
 */
export function decide(request: ControlRequest, identity: ControlIdentity): Decision {
  if (request.configPath !== identity.configPath || request.configHash !== identity.configHash) return { refused: 'config' };
  if (request.engine !== identity.engine) return { refused: 'engine' };
  if (request.build !== identity.build) return { refused: 'build' };
  const invocation = parseInvocation(request.argv);
  if (!invocation?.name || invocation.help || !DELEGABLE.has(invocation.name)) return { refused: 'command' };
  return { command: invocation.name, app: invocation.name === 'prune' ? undefined : invocation.args[0], actor: invocation.actor ?? request.actor };
}
