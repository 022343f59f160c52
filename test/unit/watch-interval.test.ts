import { describe, expect, it } from 'vitest';
import type { AppSpec } from '../../src/domain/apps.js';
import type { Clock } from '../../src/domain/clock.js';
import { type AfterSwitchContext, STATE_WATCH_INTERVAL_MS, watchNewContainer } from '../../src/domain/deploy/after-switch.js';
import type { ContainerState, Runtime } from '../../src/domain/runtime-port.js';
import { manualClock } from '../helpers/manual-clock.js';

/** A clock whose sleep advances its own time at once: the loop's pacing is read from it, not waited for. */
const steppedClock = () => manualClock(Date.UTC(2026, 11, 5));

/** The watch window's pacing through watchNewContainer, with a runtime double that only answers what the loop asks. */
function context(judgesHealth: boolean, clock: Clock, asked: { n: number }): AfterSwitchContext {
  const running: ContainerState = { id: 'c1', name: 'web', running: true, exitCode: null, deploymentId: 7, port: 8080, status: 'running' };
  const runtime = {
    inspectContainer: async () => ((asked.n += 1), running),
    ...(judgesHealth ? { waitHealthy: async () => ({ ok: true }), judgesHealth: () => true } : {}),
  } as unknown as Runtime;
  const app = { name: 'web', run: { port: 8080, health: '/healthz' } } as unknown as AppSpec;
  const probe = { probe: async () => ({ ok: true, detail: '200' }) };
  return {
    deps: { runtime, traffic: { mode: 'recreate' }, health: probe, locks: {} } as unknown as AfterSwitchContext['deps'],
    clock,
    app,
    redact: (text) => text,
    phase: () => undefined,
    health: async () => undefined,
  };
}

const hooks = () => ({ signal: new AbortController().signal, countdown: () => undefined, probe: () => undefined });

describe('watch window pacing', () => {
  it('a runtime that judges health itself (Swarm) is asked its state every 250 ms: it stops an unhealthy task after its grace period', async () => {
    const clock = steppedClock();
    const asked = { n: 0 };
    expect(await watchNewContainer(context(true, clock, asked), ['c1'], 8080, 2000, hooks())).toMatchObject({ ok: true });
    expect(STATE_WATCH_INTERVAL_MS).toBe(250);
    expect(new Set(clock.slept)).toEqual(new Set([STATE_WATCH_INTERVAL_MS]));
    expect(asked.n).toBe(2000 / STATE_WATCH_INTERVAL_MS + 1);
  });

  it('a container deckhand probes itself is probed, and its state asked, once a second', async () => {
    const clock = steppedClock();
    const asked = { n: 0 };
    expect(await watchNewContainer(context(false, clock, asked), ['c1'], 8080, 2000, hooks())).toMatchObject({ ok: true, probes: 3 });
    expect(new Set(clock.slept)).toEqual(new Set([1000]));
    expect(asked.n).toBe(3);
  });
});
