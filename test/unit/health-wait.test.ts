import { describe, expect, it } from 'vitest';
import { containerProblem, waitForHealthy } from '../../src/domain/deploy/health-wait.js';
import { LogTail } from '../../src/domain/deploy/events.js';
import { manualClock } from '../helpers/manual-clock.js';


const scripted = (answers: Array<{ ok: boolean; detail: string }>) => ({
  calls: 0,
  async probe() {
    return answers[Math.min(this.calls++, answers.length - 1)]!;
  },
});

describe('waitForHealthy', () => {
  it('polls every 5 ms for the first 2 s, then backs off to every 50 ms', async () => {
    const clock = manualClock();
    const failures = 400 + 7;
    const probe = scripted([...Array(failures).fill({ ok: false, detail: 'ECONNREFUSED' }), { ok: true, detail: 'HTTP 200' }]);
    const attempts: string[] = [];
    const result = await waitForHealthy({ url: 'http://127.0.0.1:1/h', timeoutMs: 30_000, probe, clock, containerProblem: async () => undefined, onAttempt: (n, ok, d) => attempts.push(`${n}:${ok}:${d}`) });
    expect(result).toEqual({ ok: true, attempts: failures + 1 });
    expect(clock.slept).toEqual([...Array(400).fill(5), 10, 20, 40, ...Array(4).fill(50)]);
    expect(attempts.at(-1)).toBe(`${failures + 1}:true:HTTP 200`);
  });

  it('an app that first answers 2xx at any moment of its first 2 s is seen within 5 ms; later within 50 ms', async () => {
    for (const readyAt of [1, 4, 5, 6, 24, 25, 26, 333, 1000, 1999, 2000, 2001, 2600, 4100, 9999]) {
      const clock = manualClock();
      const probe = { probe: async () => (clock.now().getTime() >= readyAt ? { ok: true, detail: 'HTTP 200' } : { ok: false, detail: 'ECONNREFUSED' }) };
      const result = await waitForHealthy({ url: 'http://127.0.0.1:1/h', timeoutMs: 30_000, probe, clock, containerProblem: async () => undefined, onAttempt: () => undefined });
      expect(result.ok).toBe(true);
      const late = clock.now().getTime() - readyAt;
      expect(late, `ready at ${readyAt} ms`).toBeGreaterThanOrEqual(0);
      expect(late, `ready at ${readyAt} ms`).toBeLessThan(readyAt < 2000 ? 5 : 50);
    }
  });

  it('asks the container state at the first attempt, every 25 ms while failing (not at every probe), and after the 2xx', async () => {
    const clock = manualClock();
    const asked: number[] = [];
    const probe = { probe: async () => (clock.now().getTime() >= 100 ? { ok: true, detail: 'HTTP 200' } : { ok: false, detail: 'ECONNREFUSED' }) };
    const result = await waitForHealthy({ url: 'http://127.0.0.1:1/h', timeoutMs: 30_000, probe, clock, containerProblem: async () => void asked.push(clock.now().getTime()), onAttempt: () => undefined });
    expect(result).toEqual({ ok: true, attempts: 21 });
    expect(asked).toEqual([0, 25, 50, 75, 100]);
  });

  it('a container that exits between two state checks is caught at the next one, not at the timeout', async () => {
    const clock = manualClock();
    const probe = scripted([{ ok: false, detail: 'ECONNREFUSED' }]);
    const result = await waitForHealthy({ url: 'http://127.0.0.1:1/h', timeoutMs: 60_000, probe, clock, containerProblem: async () => (clock.now().getTime() >= 7 ? 'the container exited with code 1' : undefined), onAttempt: () => undefined });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('exited with code 1 before') });
    expect(clock.now().getTime()).toBe(25);
  });

  it('a slow probe does not stretch the interval: the next attempt starts one interval after the last one started', async () => {
    const clock = manualClock();
    let calls = 0;
    // Each attempt takes 10 ms of the clock (a connect that takes time); the interval still starts at the attempt.
    const probe = { probe: async () => (await clock.sleep(10), { ok: ++calls > 3, detail: calls > 3 ? 'HTTP 200' : 'ECONNREFUSED' }) };
    await waitForHealthy({ url: 'http://127.0.0.1:1/h', timeoutMs: 30_000, probe, clock, containerProblem: async () => undefined, onAttempt: () => undefined, fastIntervalMs: 25 });
    expect(clock.slept).toEqual([10, 15, 10, 15, 10, 15, 10]);
  });

  it('gives up at the timeout with the last answer in the reason', async () => {
    const clock = manualClock();
    const result = await waitForHealthy({ url: 'http://127.0.0.1:1/healthz', timeoutMs: 3000, probe: scripted([{ ok: false, detail: 'HTTP 404' }]), clock, containerProblem: async () => undefined, onAttempt: () => undefined });
    expect(result).toMatchObject({
      ok: false,
      reason: 'health check http://127.0.0.1:1/healthz did not answer 2xx within 3s (last: HTTP 404). The app answers, but not at /healthz: set run.health to a path that answers 2xx once the app is ready.',
    });
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(3000);
  });

  it('says what a timeout means when nothing ever listened, and says nothing more when something did', async () => {
    const refused = await waitForHealthy({ url: 'http://127.0.0.1:12463/healthz', timeoutMs: 1000, probe: scripted([{ ok: false, detail: 'ECONNREFUSED' }]), clock: manualClock(), containerProblem: async () => undefined, onAttempt: () => undefined });
    expect(refused).toMatchObject({
      ok: false,
      reason: "health check http://127.0.0.1:12463/healthz did not answer 2xx within 1s (last: ECONNREFUSED). Nothing ever listened on port 12463: the app must listen on the port deckhand passes in $PORT (12463), on 127.0.0.1 or 0.0.0.0 (containers share the host's network).",
    });
    // It listened once (a 500), then refused: a crash between attempts, not a wrong port.
    const once = await waitForHealthy({ url: 'http://127.0.0.1:12463/healthz', timeoutMs: 1000, probe: scripted([{ ok: false, detail: 'HTTP 500' }, { ok: false, detail: 'ECONNREFUSED' }]), clock: manualClock(), containerProblem: async () => undefined, onAttempt: () => undefined });
    expect(once).toMatchObject({ ok: false, reason: 'health check http://127.0.0.1:12463/healthz did not answer 2xx within 1s (last: ECONNREFUSED)' });
  });

  it('stops waiting as soon as the container has exited', async () => {
    const clock = manualClock();
    const result = await waitForHealthy({ url: 'http://127.0.0.1:1/h', timeoutMs: 60_000, probe: scripted([{ ok: false, detail: 'ECONNREFUSED' }]), clock, containerProblem: async () => 'the container exited with code 1', onAttempt: () => undefined });
    expect(result).toMatchObject({ ok: false, attempts: 1, reason: 'the container exited with code 1 before http://127.0.0.1:1/h answered 2xx (last: ECONNREFUSED)' });
    expect(clock.slept).toEqual([]);
  });

  it('fails a container that crashed even when it answered 2xx between two restarts', async () => {
    const clock = manualClock();
    const result = await waitForHealthy({ url: 'http://127.0.0.1:1/h', timeoutMs: 60_000, probe: scripted([{ ok: true, detail: 'HTTP 200' }]), clock, containerProblem: async () => 'the container is crash-looping', onAttempt: () => undefined });
    expect(result).toMatchObject({ ok: false, attempts: 1, reason: expect.stringContaining('crash-looping right after') });
  });
});

describe('containerProblem', () => {
  const base = { id: 'c', name: 'n', deploymentId: 1, port: null };
  it('says nothing about a running container that never restarted', () => {
    expect(containerProblem({ ...base, running: true, exitCode: null, status: 'running', restartCount: 0 })).toBeUndefined();
  });
  it('names an exit, a restart loop (Docker reports Running while restarting), and a vanished container', () => {
    expect(containerProblem({ ...base, running: false, exitCode: 3, status: 'exited', restartCount: 0 })).toBe('the container exited with code 3');
    expect(containerProblem({ ...base, running: true, exitCode: 3, status: 'restarting', restartCount: 2 })).toBe('the container is crash-looping (it exited with code 3; Docker restarted it 2 times)');
    expect(containerProblem({ ...base, running: true, exitCode: null, status: 'running', restartCount: 1 })).toMatch(/crash-looping .*restarted it once/);
    expect(containerProblem(undefined)).toBe('the container is gone');
  });
});

describe('LogTail', () => {
  it('keeps only the last lines and counts what it dropped', () => {
    const tail = new LogTail(3);
    for (let i = 1; i <= 5; i += 1) tail.push(`line ${i}`);
    expect(tail.get()).toEqual(['line 3', 'line 4', 'line 5']);
    expect(tail.dropped).toBe(2);
  });
});
