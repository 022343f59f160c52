import { describe, expect, it } from 'vitest';
import { moments, momentsText } from '../../src/domain/deploy/moments.js';

describe('the two moments of a deploy: serving after X (traffic moved), finished after Y', () => {
  const startedAt = new Date('2026-01-01T00:00:00.000Z');
  const finishedAt = new Date('2026-01-01T00:00:02.500Z');

  it('counts both from the deploy start', () => {
    const switchedAt = new Date('2026-01-01T00:00:00.420Z');
    expect(moments({ startedAt, finishedAt }, switchedAt)).toEqual({ servingMs: 420, finishedMs: 2500 });
    expect(momentsText({ startedAt, finishedAt }, switchedAt)).toBe('serving after 420 ms, finished after 2.5 s');
  });

  it('says only when it finished when traffic never moved, and ? when it has not finished', () => {
    expect(momentsText({ startedAt, finishedAt }, undefined)).toBe('finished after 2.5 s');
    expect(momentsText({ startedAt, finishedAt: null }, undefined)).toBe('finished after ?');
    expect(moments({ startedAt: null, finishedAt }, finishedAt)).toEqual({ servingMs: null, finishedMs: null });
  });
});
