import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The Swarm suites run one at a time (each starts a three-node cluster; `test/helpers/swarm-lock.ts`), and vitest hands
 * the next file in its order to whichever worker is free. In vitest's own order (larger files first on a fresh clone)
 * both workers took Swarm suites at once, and one waited for the other's lock: about a minute per suite, idle.
 * This order gives the Swarm suites a lane: each is followed by about its own duration of other suites, which the
 * other worker runs meanwhile, so that the next Swarm suite is reached about when the previous one ends. An estimate
 * that is too long only starts the next Swarm suite later; one too short makes it wait as before.
 */
const SWARM = /\/test\/faults\/swarm-[^/]+\.test\.ts$/;
/** Rough seconds per Swarm suite, cluster set-up included (CI on 2 cores); an unknown one counts as 80. */
const SWARM_SECONDS: Record<string, number> = { 'swarm-watch': 110, 'swarm-deploy': 85, 'swarm-ops': 65, 'swarm-mixed': 60, 'swarm-runtime': 60, 'swarm-harness': 35 };
/** Rough seconds of any other suite, by its folder. */
const FOLDER_SECONDS: Record<string, number> = { unit: 1, slack: 12, integration: 10, faults: 25 };
/** The other suites after each Swarm suite add up to this much of its estimate: rather late than waiting. */
const GAP = 1.2;

const isSwarm = (spec: TestSpecification) => SWARM.test(spec.moduleId);
const folderOf = (spec: TestSpecification) => basename(spec.moduleId.slice(0, spec.moduleId.lastIndexOf('/')));
export const secondsOf = (spec: TestSpecification): number =>
  isSwarm(spec) ? (SWARM_SECONDS[basename(spec.moduleId).replace(/\.test\.ts$/, '')] ?? 80) : (FOLDER_SECONDS[folderOf(spec)] ?? 10);

/** The Swarm suites, longest first, each followed by about its duration of the others (in vitest's order). */
export function swarmLaneOrder(sorted: TestSpecification[]): TestSpecification[] {
  const swarm = sorted.filter(isSwarm).sort((a, b) => secondsOf(b) - secondsOf(a));
  const others = sorted.filter((spec) => !isSwarm(spec));
  const order: TestSpecification[] = [];
  let next = 0;
  for (const suite of swarm) {
    order.push(suite);
    for (let gap = 0; gap < secondsOf(suite) * GAP && next < others.length; next += 1) {
      order.push(others[next]!);
      gap += secondsOf(others[next]!);
    }
  }
  return [...order, ...others.slice(next)];
}

export default class SwarmLaneSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return swarmLaneOrder(await super.sort(files));
  }
}
