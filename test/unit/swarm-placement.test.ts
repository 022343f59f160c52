import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { placementOf } from '../../src/adapters/swarm/placement.js';
import { PlacementWatch } from '../../src/adapters/swarm/placement-watch.js';
import { type NodeInfo, type SwarmTask, serviceState } from '../../src/adapters/swarm/service-state.js';
import { parseNodeEngines } from '../../src/config/node-engines.js';
import { placementLines, placementSummary } from '../../src/domain/placement/placement-text.js';

const node = (n: number, state = 'ready'): NodeInfo => ({ hostname: `n${n}`, addr: `10.0.0.${n}`, state });
let clock = 0;
const task = (id: string, n: number | null, state: string, extra: Partial<SwarmTask> = {}): SwarmTask => ({
  id,
  node: n === null ? '' : `n${n}`,
  nodeId: n === null ? '' : `id${n}`,
  addr: n === null ? '' : `10.0.0.${n}`,
  nodeState: n === null ? '' : 'ready',
  state,
  desiredState: 'running',
  message: state,
  exitCode: null,
  createdAt: `2026-01-01T00:00:${String(clock++).padStart(2, '0')}Z`,
  ...extra,
});
const service = (replicas: number) => ({ ID: 's1', Spec: { Mode: { Replicated: { Replicas: replicas } } } }) as unknown as Docker.Service;

describe('placement of a Swarm service, as status shows it', () => {
  it('one line per node (its newest task, with the failed ones before it counted), then the unplaced tasks; nodes down named', () => {
    const tasks = [
      task('a', 1, 'running'),
      task('b1', 2, 'failed', { desiredState: 'shutdown', message: 'task: non-zero exit (1)' }),
      task('b2', 2, 'running'),
      task('c', 3, 'running', { nodeState: 'down' }),
      task('d', null, 'pending', { message: 'no suitable node (max replicas per node limit exceed)' }),
    ];
    const p = placementOf(service(3), tasks, [node(1), node(2), node(3, 'down')]);
    expect(p).toMatchObject({ wanted: 3, serving: 2, downNodes: ['n3'] });
    expect(placementSummary(p)).toBe('2 of 3 task(s) serving; node n3 is down; 1 task(s) missing (1 waiting for a node)');
    expect(placementLines(p)).toEqual([
      'n1 10.0.0.1: running, healthy',
      'n2 10.0.0.2: running, healthy, 1 failed before',
      'n3 10.0.0.3: running (node down)',
      'no node: pending: no suitable node (max replicas per node limit exceed)',
    ]);
  });

  it('a service scaled to 0 says so', () => {
    expect(placementSummary(placementOf(service(0), [], [node(1)]))).toBe('scaled to 0 tasks');
  });
});

describe('PlacementWatch: what changes on the cluster during a deploy', () => {
  it('says a node went away and came back, a task failed, a task moved; the summary is the truthful ending', () => {
    const notices: string[] = [];
    const watch = new PlacementWatch((m) => notices.push(m));
    watch.see([task('a', 1, 'starting', { slot: 1 }), task('b', 2, 'starting', { slot: 2 }), task('c', 3, 'starting', { slot: 3 })], [node(1), node(2), node(3)]);
    expect(notices).toEqual([]);
    watch.see([task('a', 1, 'running', { slot: 1 }), task('b', 2, 'failed', { slot: 2, message: 'unhealthy container' }), task('c', 3, 'starting', { slot: 3, nodeState: 'down' })], [node(1), node(2), node(3, 'down')]);
    watch.see([task('a', 1, 'running', { slot: 1 }), task('b2', 1, 'running', { slot: 2 }), task('c2', null, 'pending', { slot: 3 })], [node(1), node(2), node(3, 'down')]);
    expect(notices).toEqual([
      'Node n3 went away (down): its task no longer serves; Swarm places it again when a node is free',
      'A task on n2 failed (unhealthy container); Swarm starts another',
      'Task 2 moved from n2 to n1',
    ]);
    expect(watch.summary(3)).toBe('Node n3 went away during the deploy: completed on n1; 2 task(s) wait for a node');
    watch.see([], [node(1), node(2), node(3)]);
    expect(notices.at(-1)).toBe('Node n3 is back');
  });

  it('a node already down when the wait starts is said once; a full success says nothing', () => {
    const notices: string[] = [];
    const watch = new PlacementWatch((m) => notices.push(m));
    watch.see([task('a', 1, 'running'), task('b', 2, 'running')], [node(1), node(2), node(3, 'down')]);
    expect(notices).toEqual(['Node n3 is down: no task of this version runs there until it is back']);
    expect(watch.summary(3)).toBe('Node n3 is down: completed on n1, n2; 1 task(s) wait for a node');
    expect(watch.summary(2)).toBeUndefined();
  });
});

describe('DECKHAND_SWARM_NODE_ENGINES', () => {
  it('parses node=endpoint pairs (unix socket, path, tcp)', () => {
    expect([...parseNodeEngines('n2=unix:///run/n2.sock, 10.0.0.3=/run/n3.sock,n4=tcp://10.0.0.4:2375')]).toEqual([
      ['n2', { socketPath: '/run/n2.sock' }],
      ['10.0.0.3', { socketPath: '/run/n3.sock' }],
      ['n4', { host: '10.0.0.4', port: 2375 }],
    ]);
  });

  it('refuses a mistake with a sentence that says what is expected', () => {
    expect(() => parseNodeEngines('n2')).toThrow(/is not node=endpoint/);
    expect(() => parseNodeEngines('n2=https://x:2376')).toThrow(/unix:\/\/\/path, \/path or tcp:\/\/host:port/);
    expect(() => parseNodeEngines('n2=/a,n2=/b')).toThrow(/given twice/);
  });
});

describe('the state of a Swarm service, as the watch window reads it', () => {
  const web = { ID: 'w1', Spec: { Name: 'deckhand-a-7', Labels: { 'deckhand.deployment': '7', 'deckhand.port': '20001' }, Mode: { Replicated: { Replicas: 3 } } } } as unknown as Docker.Service;

  it('a task that exited 0 by itself counts like a failed one (Swarm does not replace it), while the others serve', () => {
    const state = serviceState(web, [task('a', 1, 'running'), task('b', 2, 'running'), task('c', 3, 'complete', { desiredState: 'shutdown', exitCode: 0 })]);
    expect(state).toMatchObject({ running: true, status: 'running', restartCount: 1 });
  });

  it('a version just scaled to 0 has stopped and has no endpoints, even before Swarm marks its tasks for shutdown', () => {
    const scaledDown = { ...web, Spec: { ...web.Spec, Mode: { Replicated: { Replicas: 0 } } } } as unknown as Docker.Service;
    const tasks = [task('a', 1, 'running'), task('b', 2, 'running')];
    expect(serviceState(web, tasks).endpoints).toHaveLength(2);
    expect(serviceState(scaledDown, tasks)).toMatchObject({ running: false, status: 'exited', endpoints: [] });
  });

  it('tasks Swarm stopped itself (scaled down: `shutdown`) are not failures', () => {
    const state = serviceState(web, [task('a', 1, 'running'), task('b', 2, 'shutdown', { desiredState: 'shutdown' })]);
    expect(state).toMatchObject({ running: true, restartCount: 0 });
  });
});
