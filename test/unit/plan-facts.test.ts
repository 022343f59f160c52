import { describe, expect, it } from 'vitest';
import { type PlanFacts, describeChanges, fingerprint } from '../../src/domain/approvals/plan-facts.js';
import { splitReason } from '../../src/domain/approvals/reason.js';

const base: PlanFacts = { current: 3, target: 'a'.repeat(40), artifact: 'reuse_image', migrations: ['migrations/001.sql'], lock: null, inProgress: [] };

describe('plan facts', () => {
  it('the same facts in another order have the same fingerprint; nothing changed', () => {
    const same = { ...base, migrations: [...base.migrations] };
    expect(fingerprint(same)).toBe(fingerprint(base));
    expect(describeChanges(base, same)).toEqual([]);
  });

  it.each<[string, Partial<PlanFacts>, RegExp]>([
    ['current deploy', { current: 4 }, /#4 serves now \(was #3\)/],
    ['target', { target: 'b'.repeat(40) }, /target changed: it is now bbbbbbb/],
    ['artifact path', { artifact: 'rebuild_from_source' }, /rebuild from source \(was reuse image\)/],
    ['migrations', { migrations: ['migrations/001.sql', 'migrations/002.sql'] }, /New migrations: migrations\/002.sql/],
    ['lock', { lock: 'U1: freeze' }, /now locked \(U1: freeze\)/],
    ['deploy in progress', { inProgress: [7] }, /in progress: #7/],
  ])('a changed %s changes the fingerprint and is named', (_what, patch, said) => {
    const now = { ...base, ...patch };
    expect(fingerprint(now)).not.toBe(fingerprint(base));
    expect(describeChanges(base, now).join(' ')).toMatch(said);
  });
});

describe('reasons after --', () => {
  it.each([
    ['web main -- hotfix for login', 'web main', 'hotfix for login'],
    ['web -- bad   migration', 'web', 'bad migration'],
    ['web main', 'web main', null],
    ['web main --', 'web main', null],
    ['web --force', 'web --force', null],
  ])('%s', (text, args, reason) => {
    expect(splitReason(text)).toEqual({ args, reason });
  });
});
