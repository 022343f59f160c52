import { describe, expect, it } from 'vitest';
import { MirrorLock } from '../../src/adapters/git/mirror-lock.js';
import { ReadMemo } from '../../src/adapters/git/read-memo.js';

/** A task that runs until `finish()` is called, recording when it started and ended in a shared journal. */
function gate(journal: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    task: async () => {
      journal.push(`${name} start`);
      try {
        await done;
      } finally {
        journal.push(`${name} end`);
      }
      return name;
    },
    finish: () => finish(),
    fail: (error: Error) => fail(error),
  };
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('MirrorLock: reads side by side, a change to the mirror alone', () => {
  it('reads run together; an exclusive task waits for them, and reads asked after it wait for it', async () => {
    const lock = new MirrorLock();
    const journal: string[] = [];
    const [r1, r2, w, r3] = [gate(journal, 'r1'), gate(journal, 'r2'), gate(journal, 'w'), gate(journal, 'r3')];
    const runs = [lock.shared('m', r1.task), lock.shared('m', r2.task), lock.exclusive('m', w.task), lock.shared('m', r3.task)];
    await tick();
    expect(journal).toEqual(['r1 start', 'r2 start']);
    r1.finish();
    await tick();
    expect(journal).not.toContain('w start');
    r2.finish();
    await tick();
    expect(journal.slice(-2)).toEqual(['r2 end', 'w start']);
    expect(journal).not.toContain('r3 start');
    w.finish();
    await tick();
    expect(journal.slice(-2)).toEqual(['w end', 'r3 start']);
    r3.finish();
    expect(await Promise.all(runs)).toEqual(['r1', 'r2', 'w', 'r3']);
  });

  it('a failed task hands its error to its caller and never blocks the next one; mirrors do not wait for each other', async () => {
    const lock = new MirrorLock();
    const journal: string[] = [];
    const [w, r, other] = [gate(journal, 'w'), gate(journal, 'r'), gate(journal, 'other')];
    const failed = lock.exclusive('m', w.task);
    const after = lock.shared('m', r.task);
    const elsewhere = lock.exclusive('n', other.task);
    await tick();
    expect(journal).toEqual(['w start', 'other start']);
    w.fail(new Error('fetch failed'));
    await expect(failed).rejects.toThrow('fetch failed');
    await tick();
    expect(journal).toContain('r start');
    r.finish();
    other.finish();
    expect(await Promise.all([after, elsewhere])).toEqual(['r', 'other']);
  });
});

describe('ReadMemo: answers fixed by SHAs, bounded', () => {
  it('asks once per key, forgets a failed read, and drops the least recently used beyond its limit', async () => {
    const memo = new ReadMemo(2);
    let asked = 0;
    const read = (answer: string) => () => {
      asked += 1;
      return Promise.resolve(answer);
    };
    expect(await memo.get('a', read('A'))).toBe('A');
    expect(await memo.get('a', read('other'))).toBe('A');
    expect(asked).toBe(1);
    await expect(memo.get('bad', () => Promise.reject(new Error('no such commit')))).rejects.toThrow('no such commit');
    await tick();
    expect(await memo.get('bad', read('B'))).toBe('B');
    expect(asked).toBe(2);
    // a (used again) stays, bad (oldest) goes when c comes.
    await memo.get('a', read('x'));
    await memo.get('c', read('C'));
    expect(memo.size).toBe(2);
    expect(await memo.get('a', read('x'))).toBe('A');
    expect(await memo.get('bad', read('B again'))).toBe('B again');
  });
});
