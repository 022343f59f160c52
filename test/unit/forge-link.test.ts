import { describe, expect, it } from 'vitest';
import { commitUrl, compareUrl, forgeRepo } from '../../src/domain/refs/forge-link.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('forge links from a git remote', () => {
  it.each([
    ['https://github.com/acme/web.git', 'github', 'https://github.com/acme/web'],
    ['https://github.com/acme/web', 'github', 'https://github.com/acme/web'],
    ['git@github.com:acme/web.git', 'github', 'https://github.com/acme/web'],
    ['ssh://git@github.com/acme/web.git', 'github', 'https://github.com/acme/web'],
    ['https://gitlab.com/acme/platform/web.git', 'gitlab', 'https://gitlab.com/acme/platform/web'],
    ['git@gitlab.com:acme/platform/web.git', 'gitlab', 'https://gitlab.com/acme/platform/web'],
    ['ssh://git@gitlab.example.com:2222/acme/web.git', 'gitlab', 'https://gitlab.example.com/acme/web'],
    ['https://gitlab.example.com:8443/acme/web.git', 'gitlab', 'https://gitlab.example.com:8443/acme/web'],
    ['https://codeberg.org/acme/web.git', 'gitea', 'https://codeberg.org/acme/web'],
    ['git@gitea.example.org:acme/web.git', 'gitea', 'https://gitea.example.org/acme/web'],
    ['https://forgejo.example.org/acme/web', 'gitea', 'https://forgejo.example.org/acme/web'],
  ])('%s is %s at %s', (remote, kind, web) => {
    expect(forgeRepo(remote)).toEqual({ kind, web });
  });

  it('never carries credentials into the link', () => {
    const link = compareUrl('https://deploy:ghp_s3cret@github.com/acme/web.git', A, B)!;
    expect(link).toBe(`https://github.com/acme/web/compare/${A}...${B}`);
    expect(link).not.toContain('s3cret');
    expect(compareUrl('https://oauth2:glpat-xyz@gitlab.com/acme/web.git', A, B)).toBe(`https://gitlab.com/acme/web/-/compare/${A}...${B}`);
  });

  it('compare and commit pages per forge', () => {
    expect(compareUrl('git@codeberg.org:acme/web.git', A, B)).toBe(`https://codeberg.org/acme/web/compare/${A}...${B}`);
    expect(commitUrl('git@gitlab.com:acme/web.git', A)).toBe(`https://gitlab.com/acme/web/-/commit/${A}`);
    expect(commitUrl('https://github.com/acme/web', A)).toBe(`https://github.com/acme/web/commit/${A}`);
  });

  it.each([
    'file:///tmp/repo',
    '/srv/git/web.git',
    'https://git.example.com/acme/web.git',
    'https://github.com/acme',
    'https://github.com/acme/web/extra',
    'git@github.com:acme/we|b.git',
    'https://github.com/acme/%3Eevil',
    'ftp://github.com/acme/web.git',
  ])('no link for %s', (remote) => {
    expect(compareUrl(remote, A, B)).toBeUndefined();
  });

  it('no link for anything but commit SHAs', () => {
    expect(compareUrl('https://github.com/acme/web', 'main', B)).toBeUndefined();
    expect(compareUrl('https://github.com/acme/web', A, 'x>y')).toBeUndefined();
  });
});
