import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gitRefProblem, validateGitRef } from '../../src/domain/refs/git-ref.js';

/** What the real git says, for refs that fit in argv (no NUL). */
function gitAccepts(ref: string): boolean {
  return spawnSync('git', ['check-ref-format', '--allow-onelevel', ref]).status === 0;
}

describe('git ref validation', () => {
  it.each(['main', 'release/1.2', 'v1.0.0', 'feature/x_y-z', 'a1b2c3d', '0123456789abcdef0123456789abcdef01234567', 'hotfix@2'])('accepts %j', (ref) => {
    expect(gitRefProblem(ref)).toBeUndefined();
    expect(gitAccepts(ref)).toBe(true);
  });

  it.each([
    ['--upload-pack=x', /starts with "-"/],
    ['-main', /starts with "-"/],
    ['a..b', /\.\./],
    ['main\n', /control character/],
    ['main\u0000', /control character/],
    ['has space', /space/],
    ['a~1', /~/],
    ['a^', /\^/],
    ['a:b', /:/],
    ['what?', /\?/],
    ['star*', /\*/],
    ['br[ack', /\[/],
    ['back\\slash', /\\/],
    ['x@{1}', /@\{/],
    ['@', /"@"/],
    ['/lead', /empty path/],
    ['trail/', /empty path/],
    ['a//b', /empty path/],
    ['dot.', /ends with "\."/],
    ['.hidden', /starts with "\."/],
    ['a/.b', /starts with "\."/],
    ['x.lock', /\.lock/],
    ['', /empty/],
    ['x'.repeat(256), /255/],
  ])('rejects %j', (ref, why) => {
    expect(gitRefProblem(ref)).toMatch(why);
    expect(() => validateGitRef(ref)).toThrow(expect.objectContaining({ code: 'invalid_ref' }));
  });

  it('never accepts what git check-ref-format rejects (property test against the real git)', () => {
    const alphabet = fc.constantFrom(...'ab1/.-_@{}~^:?*[\\ \t\n'.split(''), 'lock', '..', '@{');
    fc.assert(
      fc.property(fc.array(alphabet, { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')), (ref) => {
        if (gitRefProblem(ref) === undefined) expect(gitAccepts(ref)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
