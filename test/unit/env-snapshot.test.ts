import { describe, expect, it } from 'vitest';
import { diffEnvNames, snapshotEnv } from '../../src/domain/rollback/env-snapshot.js';

describe('env snapshots', () => {
  it('never keeps a value in clear, and salts every snapshot differently', () => {
    const a = snapshotEnv({ API_KEY: 'hunter2', MODE: 'fast' });
    const b = snapshotEnv({ API_KEY: 'hunter2', MODE: 'fast' });
    expect(JSON.stringify(a)).not.toContain('hunter2');
    expect(a.hashes.API_KEY).not.toBe(b.hashes.API_KEY);
  });

  it('names what was added, removed and changed, and nothing else', () => {
    const then = snapshotEnv({ KEEP: '1', CHANGE: 'old', DROP: 'x' });
    expect(diffEnvNames(then, { KEEP: '1', CHANGE: 'new', ADD: 'y' })).toEqual({ added: ['ADD'], removed: ['DROP'], changed: ['CHANGE'] });
    expect(diffEnvNames(then, { KEEP: '1', CHANGE: 'old', DROP: 'x' })).toEqual({ added: [], removed: [], changed: [] });
  });

  it('does not confuse a value moved from one name to another', () => {
    const then = snapshotEnv({ A: 'same', B: 'other' });
    expect(diffEnvNames(then, { A: 'other', B: 'same' }).changed).toEqual(['A', 'B']);
  });

  it('env names that are Object.prototype members are ordinary names', () => {
    const then = snapshotEnv({ KEEP: '1' });
    expect(diffEnvNames(then, { KEEP: '1', constructor: 'x', toString: 'y' })).toEqual({ added: ['constructor', 'toString'], removed: [], changed: [] });
  });
});
