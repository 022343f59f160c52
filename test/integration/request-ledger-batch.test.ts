import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DrizzleSlackRequestLog } from '../../src/adapters/db/slack-requests-repo.js';
import { type DbKind, type TestDatabase, createTestDatabase } from '../helpers/db.js';
import { havePostgres } from '../helpers/infra.js';

const kinds: DbKind[] = (await havePostgres()) ? ['postgres', 'pglite'] : ['pglite'];

describe.each(kinds)('the Slack replay ledger under a burst (%s)', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => db?.drop());

  it('50 requests at once are written in one or two statements; each is answered new or replay exactly as if alone', async () => {
    const ledger = new DrizzleSlackRequestLog(db.db);
    const writes = vi.spyOn(ledger, 'recordMany');
    const at = new Date();
    expect(await ledger.record('seen-before', at, at)).toBe(true);
    writes.mockClear();

    // 45 distinct requests, 4 copies of one of them, and one already in the ledger.
    const digests = [...Array.from({ length: 45 }, (_, i) => `burst-${i}`), 'burst-7', 'burst-7', 'burst-7', 'burst-7', 'seen-before'];
    const answers = await Promise.all(digests.map((digest) => ledger.record(digest, at, at)));

    // Every distinct digest went to the database, through at most two statements.
    expect(writes.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(writes.mock.calls.length).toBeLessThanOrEqual(2);
    expect(new Set(writes.mock.calls.flatMap(([rows]) => rows.map((r) => r.digest))).size).toBe(46);
    expect(answers.slice(0, 45)).toEqual(Array(45).fill(true));
    expect(answers.slice(45)).toEqual([false, false, false, false, false]);
    // Written for real: every one of them is a replay now.
    expect(await Promise.all(digests.map((digest) => ledger.record(digest, at, at)))).toEqual(Array(50).fill(false));
  });

  it('a failed write fails every request of its batch (none is acted on), and the next burst is written again', async () => {
    const ledger = new DrizzleSlackRequestLog(db.db);
    const at = new Date();
    const original = ledger.recordMany.bind(ledger);
    const writes = vi.spyOn(ledger, 'recordMany').mockRejectedValueOnce(new Error('connection lost'));
    const failed = await Promise.allSettled(['f-1', 'f-2', 'f-3'].map((d) => ledger.record(d, at, at)));
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    writes.mockImplementation(original);
    expect(await Promise.all(['f-1', 'f-2'].map((d) => ledger.record(d, at, at)))).toEqual([true, true]);
  });
});
