import { afterEach, describe, expect, it, vi } from 'vitest';
import { AckFirst } from '../../src/adapters/slack/ack-first.js';

/** A request through the gate's middleware: resolves `acked`-able context once it reached the listener. */
function request(gate: AckFirst) {
  const context: Record<string, unknown> = {};
  let finish!: () => void;
  const listener = new Promise<void>((resolve) => (finish = resolve));
  const through = gate.middleware({ context, next: () => listener } as never);
  return { context, finish: async () => (finish(), await through) };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

describe('acks first: work after an ack waits for the other requests of a burst to be acked', () => {
  afterEach(() => vi.useRealTimers());

  it('holds the work after an ack while another request waits for its ack, and lets it go at that ack', async () => {
    const gate = new AckFirst(60_000);
    const a = request(gate);
    const b = request(gate);
    gate.acked(a.context);
    const afterA = gate.quiet();
    expect(await settled(afterA)).toBe(false);
    gate.acked(b.context);
    expect(await settled(afterA)).toBe(true);
    await Promise.all([a.finish(), b.finish()]);
    expect(await settled(gate.quiet())).toBe(true);
  });

  it('counts a request that ends without its handler acking (a replay, a refused request) as answered', async () => {
    const gate = new AckFirst(60_000);
    const a = request(gate);
    const replay = request(gate);
    gate.acked(a.context);
    const afterA = gate.quiet();
    await replay.finish();
    expect(await settled(afterA)).toBe(true);
    // An ack said twice (the handler's, then the end of processing) is counted once.
    gate.acked(a.context);
    await a.finish();
    const c = request(gate);
    expect(await settled(gate.quiet())).toBe(false);
    await c.finish();
  });

  it('never holds the work longer than its bound while requests keep arriving', async () => {
    vi.useFakeTimers();
    const gate = new AckFirst(200);
    const slow = request(gate);
    const afterOther = gate.quiet();
    expect(await settled(afterOther)).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(await settled(afterOther)).toBe(true);
    await slow.finish();
  });
});
