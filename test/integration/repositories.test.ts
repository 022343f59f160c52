import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrizzleAuditStore } from '../../src/adapters/db/audit-repo.js';
import { DrizzleDeploymentStore } from '../../src/adapters/db/deployments-repo.js';
import { DrizzleDeploymentEventStore } from '../../src/adapters/db/events-repo.js';
import { DrizzleLeaseStore } from '../../src/adapters/db/locks-repo.js';
import { type DbKind, type TestDatabase, createTestDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const kinds: DbKind[] = ['pglite', ...((await havePostgres()) ? (['postgres'] as const) : [])];

describe.each(kinds)('repositories on %s', (kind) => {
  let database: TestDatabase;
  let store: DrizzleDeploymentStore;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    store = new DrizzleDeploymentStore(database.db);
  });
  afterAll(() => database?.drop());

  const base = { source: 'git' as const, trigger: 'cli' as const, actor: 'alice' };

  it('assigns short increasing ids and keeps timestamps as timestamptz', async () => {
    const a = await store.create({ ...base, app: 'repo-a', status: 'building', startedAt: new Date('2026-01-02T03:04:05.678Z') });
    const b = await store.create({ ...base, app: 'repo-a', status: 'queued' });
    expect(b.id).toBe(a.id + 1);
    expect(a.startedAt?.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(a.createdAt).toBeInstanceOf(Date);
    const listed = await store.list('repo-a', 10);
    expect(listed.map((d) => d.id)).toEqual([b.id, a.id]);
    expect(await store.get(999_999)).toBeUndefined();
  });

  it('knows the current deploy, newer successes and in-flight deploys', async () => {
    const first = await store.create({ ...base, app: 'repo-b', status: 'building' });
    await store.update(first.id, { status: 'succeeded', finishedAt: new Date(Date.now() - 1000), commitSha: 'a'.repeat(40) });
    const queued = await store.create({ ...base, app: 'repo-b', status: 'queued' });
    const second = await store.create({ ...base, app: 'repo-b', status: 'building' });
    expect((await store.inFlight('repo-b')).map((d) => d.id)).toEqual([second.id]);
    expect(await store.newerSucceeded('repo-b', queued.id)).toBeUndefined();
    await store.update(second.id, { status: 'succeeded', finishedAt: new Date(), logTail: ['x'] });
    expect((await store.current('repo-b'))?.id).toBe(second.id);
    expect((await store.newerSucceeded('repo-b', queued.id))?.id).toBe(second.id);
    expect((await store.get(second.id))?.logTail).toEqual(['x']);
    await expect(store.update(999_999, { status: 'failed' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('records deployment events in order and audit entries', async () => {
    const d = await store.create({ ...base, app: 'repo-c', status: 'building' });
    const events = new DrizzleDeploymentEventStore(database.db);
    await events.append({ type: 'phase', phase: 'build', message: 'Building', deploymentId: d.id, app: 'repo-c', at: new Date() });
    await events.append({ type: 'health', attempt: 1, ok: false, detail: 'HTTP 503', deploymentId: d.id, app: 'repo-c', at: new Date() });
    expect((await events.list(d.id)).map((e) => e.kind)).toEqual(['phase.build', 'health']);
    const audit = new DrizzleAuditStore(database.db);
    await audit.record({ actor: 'bob', action: 'deploy.refused', app: 'repo-c', result: 'refused', details: { code: 'out_of_date' } });
    const [entry] = await audit.list({ app: 'repo-c' });
    expect(entry).toMatchObject({ actor: 'bob', action: 'deploy.refused', result: 'refused', details: { code: 'out_of_date' } });
  });

  it('leases: one holder at a time, taken over after expiry, renewed and released by the holder only', async () => {
    const leases = new DrizzleLeaseStore(database.db);
    const t0 = new Date('2026-05-01T00:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    expect(await leases.tryAcquire('app:x', 'one', t0, at(60))).toBe(true);
    expect(await leases.tryAcquire('app:x', 'two', at(30), at(90))).toBe(false);
    expect(await leases.renew('app:x', 'two', at(100))).toBe(false);
    expect(await leases.renew('app:x', 'one', at(100))).toBe(true);
    expect(await leases.tryAcquire('app:x', 'two', at(90), at(150))).toBe(false);
    expect(await leases.tryAcquire('app:x', 'two', at(101), at(160))).toBe(true);
    expect((await leases.holder('app:x'))?.holder).toBe('two');
    await leases.release('app:x', 'one');
    expect((await leases.holder('app:x'))?.holder).toBe('two');
    await leases.release('app:x', 'two');
    expect(await leases.holder('app:x')).toBeUndefined();
  });

  it('lets exactly one of many concurrent acquirers win', async () => {
    const leases = new DrizzleLeaseStore(database.db);
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.tryAcquire('app:race', `h${i}`, now, new Date(now.getTime() + 60_000))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
