import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { LogRing } from '../../src/adapters/slack/log-ring.js';
import { ProgressStreamer } from '../../src/adapters/slack/progress-streamer.js';
import { useMockedGateway } from '../helpers/mock-gateway.js';
import { APP, deployTitle, deployment, log, phase } from '../helpers/stream-events.js';

const mocked = useMockedGateway();
const INTERVAL = 1000;

describe('work per log line is constant', () => {
  /** Feeds `n` lines in 10 batches, each followed by one interval; counts lines touched, renders and redactions. */
  async function feed(n: number) {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      mocked.slack.reset();
      let redactions = 0;
      const streamer = new ProgressStreamer(mocked.gateway, { channel: 'C3WORK', app: APP, title: deployTitle, kind: 'deploy', intervalMs: INTERVAL, redact: (t) => ((redactions += /^line /.test(t) ? 1 : 0), t) });
      await streamer.open();
      streamer.handle(phase('build', 'Building'));
      for (let i = 1; i <= n; i += 1) {
        streamer.handle(log(`line ${i}`));
        if (i % (n / 10) === 0) {
          vi.advanceTimersByTime(INTERVAL);
          await streamer.open();
        }
      }
      const beforeFinish = streamer.linesTouched;
      await streamer.finish(deployment('succeeded'));
      const renders = mocked.slack.calls.filter((c) => c.args.text === 'Build log').length;
      return { touched: beforeFinish, renders, redactions };
    } finally {
      vi.useRealTimers();
    }
  }

  it('1,000 vs 100,000 lines: one write per line, the same renders, and each render reads only the lines it shows', async () => {
    const small = await feed(1_000);
    const large = await feed(100_000);
    expect(small.redactions).toBe(1_000);
    expect(large.redactions).toBe(100_000);
    expect(large.renders).toBe(small.renders);
    // Beyond one write per line, the work is the renders' reads: the same for both (60 lines per render at most).
    expect(large.touched - 100_000).toBe(small.touched - 1_000);
    expect(small.touched - 1_000).toBeLessThanOrEqual(small.renders * 60);
  });

  it('300,000 lines go through a ring of the default size', async () => {
    const { touched, renders } = await feed(300_000);
    expect(touched - 300_000).toBeLessThanOrEqual(renders * 60);
  });
});

describe('LogRing', () => {
  it('holds what an array cut to its capacity holds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 40 }), fc.integer({ min: 0, max: 12 }), (capacity, pushed, n) => {
        const ring = new LogRing(capacity);
        const array: string[] = [];
        for (const line of pushed) {
          ring.push(line);
          array.push(line);
          if (array.length > capacity) array.shift();
        }
        expect(ring.toArray()).toEqual(array);
        expect(ring.tail(n)).toEqual(n === 0 ? [] : array.slice(-n));
        expect(ring.length).toBe(array.length);
        expect(ring.dropped).toBe(pushed.length - array.length);
        expect(ring.total).toBe(pushed.length);
        expect(ring.endsWith(array.slice(-Math.min(n, array.length)))).toBe(true);
        if (array.length > 0) expect(ring.endsWith([...array.slice(1), '\u0000'])).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a ring with no room', () => {
    expect(() => new LogRing(0)).toThrow(RangeError);
  });
});
