import { describe, expect, it } from 'vitest';
import { logTailBlock } from '../../src/adapters/slack/blocks/limits.js';
import { OMITTED, headAndTail } from '../../src/domain/log-text.js';

const lines = (n: number, prefix = 'line') => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

describe("a failed container's log: its first lines and its last", () => {
  it('keeps everything when it fits, else the first lines, a count of the rest and the last lines', () => {
    expect(headAndTail(lines(5), 10)).toEqual(lines(5));
    const kept = headAndTail(['starting v3 on port 1234', ...lines(500, 'GET /healthz 404')], 20, 3);
    expect(kept).toHaveLength(20);
    expect(kept.slice(0, 3)).toEqual(['starting v3 on port 1234', 'GET /healthz 404 1', 'GET /healthz 404 2']);
    expect(kept[3]).toBe('… 482 lines not shown …');
    expect(OMITTED.test(kept[3]!)).toBe(true);
    expect(kept.at(-1)).toBe('GET /healthz 404 500');
  });

  it('the Slack block shows the start-up lines even when the tail alone would fill it', () => {
    const log = headAndTail(['starting v3 on port 1234', ...lines(400, 'GET /healthz HTTP/1.1 404 Not Found from 127.0.0.1')], 200);
    const block = logTailBlock(log, undefined, log.findIndex((l) => OMITTED.test(l)) + 1);
    expect(block.length).toBeLessThanOrEqual(3000);
    expect(block).toContain('starting v3 on port 1234');
    expect(block).toContain('from 127.0.0.1 400');
    expect(block).toMatch(/…\d+ more lines/);
    // Without a head to keep, only the tail, as before.
    expect(logTailBlock(log)).not.toContain('starting v3');
  });
});
