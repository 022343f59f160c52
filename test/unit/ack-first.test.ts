import { EventEmitter } from 'node:events';
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
    const gate = new AckFirst(60_000, 0);
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
    const gate = new AckFirst(60_000, 0);
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

  it('in a burst, holds the work until no request has arrived for a moment; a lone request is never held', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const gate = new AckFirst(60_000, 10);
    await vi.advanceTimersByTimeAsync(100);
    const lone = request(gate);
    gate.acked(lone.context);
    expect(await settled(gate.quiet())).toBe(true);
    await lone.finish();
    await vi.advanceTimersByTimeAsync(100);
    // A burst: b comes 1 ms after a, both acked; the work waits 10 ms from b's arrival.
    const a = request(gate);
    await vi.advanceTimersByTimeAsync(1);
    const b = request(gate);
    gate.acked(a.context);
    gate.acked(b.context);
    const afterB = gate.quiet();
    await vi.advanceTimersByTimeAsync(6);
    expect(await settled(afterB)).toBe(false);
    // The next request of the burst comes 6 ms later and is acked: the work now waits 10 ms from its arrival.
    const c = request(gate);
    gate.acked(c.context);
    await vi.advanceTimersByTimeAsync(9);
    expect(await settled(afterB)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(afterB)).toBe(true);
    await Promise.all([a.finish(), b.finish(), c.finish()]);
  });

  it('an HTTP request counts from its arrival until its response is finished; other than POST it does not count', async () => {
    const gate = new AckFirst(60_000, 0);
    const response = new EventEmitter();
    let listened = 0;
    const listener = gate.httpListener(() => void (listened += 1));
    listener({ method: 'POST' } as never, response as never);
    const work = gate.quiet();
    expect(await settled(work)).toBe(false);
    listener({ method: 'GET' } as never, new EventEmitter() as never);
    expect(await settled(gate.quiet())).toBe(false);
    response.emit('finish');
    response.emit('close');
    expect(await settled(work)).toBe(true);
    expect(listened).toBe(2);
  });

  it('over HTTP a lone request arrives once: reaching the middleware a few ms after its arrival does not make it a burst', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const gate = new AckFirst(60_000, 10);
    const listener = gate.httpListener(() => undefined);
    await vi.advanceTimersByTimeAsync(100);
    // A Confirm click: its HTTP arrival, then Bolt's middleware 2 ms later (body read, signature checked).
    const response = new EventEmitter();
    listener({ method: 'POST' } as never, response as never);
    await vi.advanceTimersByTimeAsync(2);
    const click = request(gate);
    gate.acked(click.context);
    response.emit('finish');
    expect(await settled(gate.quiet())).toBe(true);
    await click.finish();
    // Two HTTP requests 1 ms apart are still a burst: the work waits until none has arrived for 10 ms.
    await vi.advanceTimersByTimeAsync(100);
    const [ra, rb] = [new EventEmitter(), new EventEmitter()];
    listener({ method: 'POST' } as never, ra as never);
    await vi.advanceTimersByTimeAsync(1);
    listener({ method: 'POST' } as never, rb as never);
    ra.emit('finish');
    rb.emit('finish');
    const afterBurst = gate.quiet();
    await vi.advanceTimersByTimeAsync(8);
    expect(await settled(afterBurst)).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(await settled(afterBurst)).toBe(true);
  });

  it('never holds the work longer than its bound while requests keep arriving', async () => {
    vi.useFakeTimers();
    const gate = new AckFirst(200, 0);
    const slow = request(gate);
    const afterOther = gate.quiet();
    expect(await settled(afterOther)).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(await settled(afterOther)).toBe(true);
    await slow.finish();
  });
});
