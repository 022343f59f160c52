import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/adapters/db/client.js';
import { parseRecord } from '../../src/adapters/db/store-owner.js';
import { serveStore } from '../../src/adapters/db/store-socket.js';
import { PGlite } from '@electric-sql/pglite';
import { killAllChildren, startNode } from '../helpers/child-lines.js';
import { contend } from '../helpers/store-contend.js';

// Needs only node: the owner is this process, the others are child processes talking to it over its Unix socket.
const CHILD = 'test/helpers/store-child.ts';
const root = mkdtempSync(join(tmpdir(), 'f-store-sock-'));
const dbDir = join(root, 'db');
let owner: Database;
let socket: string;

beforeAll(async () => {
  owner = await openDatabase({ dataDir: dbDir });
  socket = parseRecord(readFileSync(`${dbDir}.lock`, 'utf8'))!.socket;
});

afterAll(async () => {
  await killAllChildren();
  await owner?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the embedded store has one owner: other processes go through it', () => {
  it('interleaves the owner and two client processes correctly: each lease has one holder, no deployment id repeats', async () => {
    const perProcess = 25;
    const clients = ['child-a', 'child-b'].map((tag) => startNode(CHILD, ['contend', dbDir, tag, String(perProcess)]));
    const mine = await contend(owner.db, 'owner', perProcess);
    const theirs = await Promise.all(clients.map((client) => client.waitFor((line) => 'ids' in line)));
    for (const client of clients) expect(await client.exited).toBe(0);
    const results = [mine, ...theirs] as Array<{ won: number[]; ids: number[] }>;
    // Every lease was raced by three processes: exactly one won each.
    const wins = results.flatMap((result) => result.won).sort((a, b) => a - b);
    expect(wins).toEqual(Array.from({ length: perProcess }, (_, i) => i));
    const ids = results.flatMap((result) => result.ids);
    expect(new Set(ids).size).toBe(3 * perProcess);
    const rows = await owner.db.execute(sql`select count(*)::int as n from deployments where app like 'f-store-%'`);
    expect(JSON.stringify(rows)).toContain(`"n":${3 * perProcess}`);
  });

  it('keeps each parameterised statement of concurrent socket clients and the owner together', async () => {
    const clients = [0, 1].map(() => postgres({ path: socket, max: 2, prepare: false, onnotice: () => undefined }));
    try {
      const checks: Array<Promise<boolean>> = [];
      for (let i = 0; i < 150; i++) {
        clients.forEach((client, k) => checks.push(client`select ${`c${k}-${i}`}::text as v`.then((rows) => rows[0]?.v === `c${k}-${i}`)));
        checks.push(owner.db.execute(sql`select ${`o-${i}`}::text as v`).then((rows) => JSON.stringify(rows).includes(`"o-${i}"`)));
      }
      const outcomes = await Promise.allSettled(checks);
      const bad = outcomes.filter((outcome) => outcome.status === 'rejected' || outcome.value !== true);
      expect(bad).toEqual([]);
    } finally {
      await Promise.all(clients.map((client) => client.end({ timeout: 1 })));
    }
  });

  it("runs nothing of the owner's inside a client's transaction, and rolls back a client that goes away mid-transaction", async () => {
    const client = postgres({ path: socket, max: 1, prepare: false, onnotice: () => undefined });
    let ownerCount: Promise<string> | undefined;
    let ownerDone = false;
    try {
      await client.begin(async (tx) => {
        await tx`insert into locks (name, holder, acquired_at, expires_at) values ('f-store-tx', 'tx', now(), now())`;
        ownerCount = owner.db.execute(sql`select count(*)::int as n from locks where name = 'f-store-tx'`).then((rows) => {
          ownerDone = true;
          return JSON.stringify(rows);
        });
        // Round trips inside the transaction: the owner's query must still be waiting, not running in here.
        for (let i = 0; i < 5; i++) await tx`select 1`;
        expect(ownerDone).toBe(false);
      });
      expect(await ownerCount).toContain('"n":1');
    } finally {
      await client.end({ timeout: 1 });
    }

    // A client connection dropped inside a transaction: its insert is rolled back and the store serves the owner again.
    const doomed = postgres({ path: socket, max: 1, prepare: false, onnotice: () => undefined });
    const reserved = await doomed.reserve();
    await reserved`begin`;
    await reserved`insert into locks (name, holder, acquired_at, expires_at) values ('f-store-doomed', 'x', now(), now())`;
    await doomed.end({ timeout: 0 });
    const rows = await owner.db.execute(sql`select count(*)::int as n from locks where name = 'f-store-doomed'`);
    expect(JSON.stringify(rows)).toContain('"n":0');
  });

  it('disconnects and rolls back a client that keeps a transaction open and silent, so the owner is not blocked for ever', async () => {
    const db = new PGlite();
    const path = join(root, 'hold.sock');
    const server = await serveStore(db, path, { holdMs: 300 });
    const client = postgres({ path, max: 1, prepare: false, onnotice: () => undefined });
    try {
      await db.exec('create table t (v int)');
      const reserved = await client.reserve();
      await reserved`begin`;
      await reserved`insert into t values (1)`;
      // The owner waits for the silent transaction, then gets the session back with the insert rolled back.
      const rows = await db.query<{ n: number }>('select count(*)::int as n from t');
      expect(rows.rows[0]?.n).toBe(0);
      await expect(reserved`commit`).rejects.toThrow();
    } finally {
      await client.end({ timeout: 0 });
      await server.stop();
      await db.close();
    }
  });
});
