import { describe, expect, it } from 'vitest';
import { decide, parseRequest } from '../../src/adapters/control/control-request.js';
import { scanArgv } from '../../src/cli/control-protocol.js';

const identity = { configPath: '/srv/deckhand.yml', configHash: 'a'.repeat(64), engine: 'b'.repeat(64), build: '123:456' };
const request = (argv: string[], extra: Record<string, unknown> = {}) => ({ type: 'run', version: 1, argv, actor: 'cli:ana', ...identity, json: argv.includes('--json'), tty: false, ...extra });
const problem = (value: unknown) => {
  const parsed = parseRequest(typeof value === 'string' ? value : JSON.stringify(value));
  return 'problem' in parsed ? parsed.problem : undefined;
};

describe('a control request is checked field by field before anything runs', () => {
  it('accepts the request the thin client sends', () => {
    expect(problem(request(['rollback', 'web', '41', '--yes']))).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"type":'],
    ['an array', [1]],
    ['an unknown field', request(['deploys', 'web'], { extra: 1 })],
    ['a missing field', (({ tty, ...rest }) => rest)(request(['deploys', 'web']))],
    ['another version', request(['deploys', 'web'], { version: 2 })],
    ['argv not strings', request(['deploys', 'web'], { argv: ['deploys', 3] })],
    ['argv with NUL', request(['deploys', 'we\0b'])],
    ['too many arguments', request(Array.from({ length: 65 }, () => 'x'))],
    ['an empty actor', request(['deploys', 'web'], { actor: '' })],
    ['an actor with a control character', request(['deploys', 'web'], { actor: 'cli:a\u001b[31m' })],
    ['a relative config path', request(['deploys', 'web'], { configPath: 'deckhand.yml' })],
    ['a hash that is not sha256 hex', request(['deploys', 'web'], { configHash: 'A'.repeat(64) })],
    ['json not a boolean', request(['deploys', 'web'], { json: 'yes' })],
    ['json that contradicts argv', request(['deploys', 'web'], { json: true })],
  ])('refuses %s', (_, value) => {
    expect(problem(value)).toBeTruthy();
  });
});

describe('the bot runs only what it would run the same way', () => {
  const decision = (argv: string[], extra: Record<string, unknown> = {}) => decide(parseRequest(JSON.stringify(request(argv, extra))) as never, identity);

  it('refuses another apps file, environment or code, and commands that need no store', () => {
    expect(decision(['deploys', 'web'], { configHash: 'c'.repeat(64) })).toEqual({ refused: 'config' });
    expect(decision(['deploys', 'web'], { configPath: '/other/deckhand.yml' })).toEqual({ refused: 'config' });
    expect(decision(['deploys', 'web'], { engine: 'c'.repeat(64) })).toEqual({ refused: 'engine' });
    expect(decision(['deploys', 'web'], { build: 'other' })).toEqual({ refused: 'build' });
    for (const argv of [['help'], ['deploys', '--help'], [], ['frobnicate'], ['deploys', '--no-such-option']]) expect(decision(argv)).toEqual({ refused: 'command' });
  });

  it('runs the rest as the actor the CLI named, --actor first, with the app for the CLI to name', () => {
    expect(decision(['rollback', 'web', '41', '--yes'])).toEqual({ command: 'rollback', app: 'web', actor: 'cli:ana' });
    expect(decision(['lock', 'web', '-m', 'why', '--actor', 'U-ops'])).toEqual({ command: 'lock', app: 'web', actor: 'U-ops' });
    expect(decision(['prune', '--app', 'web', '--dry-run'])).toEqual({ command: 'prune', actor: 'cli:ana' });
  });
});

describe('the thin client reads argv without the parser', () => {
  it('finds the command past option values, --config in both forms, help and --local', () => {
    expect(scanArgv(['--config', 'x.yml', 'deploy', 'web'])).toEqual({ command: 'deploy', config: 'x.yml', help: false, local: false });
    expect(scanArgv(['-m', 'reason', 'lock', 'web', '--config=y.yml'])).toEqual({ command: 'lock', config: 'y.yml', help: false, local: false });
    expect(scanArgv(['--actor', 'help', 'status'])).toMatchObject({ command: 'status', help: false });
    expect(scanArgv(['status', '-h']).help).toBe(true);
    expect(scanArgv(['help']).help).toBe(true);
    expect(scanArgv(['deploy', 'web', '--local']).local).toBe(true);
  });
});
