import { describe, expect, it } from 'vitest';
import type { TestSpecification } from 'vitest/node';
import { secondsOf, swarmLaneOrder } from '../sequencer.js';

const spec = (path: string) => ({ moduleId: `/repo/test/${path}` }) as TestSpecification;
const names = (specs: TestSpecification[]) => specs.map((s) => s.moduleId.replace('/repo/test/', ''));

describe('the test order (one lane for the Swarm suites)', () => {
  it('each Swarm suite, longest first, is followed by about its duration of other suites; every file once', () => {
    const others = [...Array.from({ length: 10 }, (_, i) => spec(`faults/f${i}.test.ts`)), ...Array.from({ length: 20 }, (_, i) => spec(`unit/u${i}.test.ts`))];
    const input = [spec('faults/swarm-harness.test.ts'), ...others.slice(0, 5), spec('faults/swarm-watch.test.ts'), ...others.slice(5)];
    const order = swarmLaneOrder(input);
    expect(names(order).sort()).toEqual(names(input).sort());
    // swarm-watch (110 s) first: then 25 s suites until 132 s are reached (6 of them); then swarm-harness (35 s): 2 more.
    expect(names(order).slice(0, 11)).toEqual([
      'faults/swarm-watch.test.ts',
      'faults/f0.test.ts', 'faults/f1.test.ts', 'faults/f2.test.ts', 'faults/f3.test.ts', 'faults/f4.test.ts', 'faults/f5.test.ts',
      'faults/swarm-harness.test.ts',
      'faults/f6.test.ts', 'faults/f7.test.ts',
      'faults/f8.test.ts',
    ]);
    expect(secondsOf(spec('unit/u0.test.ts'))).toBe(1);
  });

  it('without Swarm suites the order is vitest’s own; with nothing else they run back to back', () => {
    // A unit suite named swarm-… takes no cluster and no lock.
    const plain = [spec('unit/a.test.ts'), spec('unit/swarm-placement.test.ts'), spec('slack/b.test.ts'), spec('integration/c.test.ts')];
    expect(swarmLaneOrder(plain)).toEqual(plain);
    const swarmOnly = [spec('faults/swarm-ops.test.ts'), spec('faults/swarm-deploy.test.ts')];
    expect(names(swarmLaneOrder(swarmOnly))).toEqual(['faults/swarm-deploy.test.ts', 'faults/swarm-ops.test.ts']);
  });
});
