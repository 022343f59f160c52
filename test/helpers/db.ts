import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database, openDatabase } from '../../src/adapters/db/client.js';
import { postgresUrl } from './infra.js';

export type DbKind = 'pglite' | 'postgres';

export interface TestDatabase extends Database {
  url?: string;
  drop(): Promise<void>;
}

/** An empty Postgres database of its own, dropped (with any connection still open) by `drop`. */
export async function createScratchDatabase(prefix = 'deckhand_t'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 1 });
    },
  };
}

/** A fresh, migrated database: in-memory PGlite, or a new Postgres database dropped afterwards. */
export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://' });
    return { ...database, drop: () => database.close() };
  }
  const scratch = await createScratchDatabase();
  const database = await openDatabase({ url: scratch.url, dataDir: 'unused' });
  return {
    ...database,
    url: scratch.url,
    drop: async () => {
      await database.close();
      await scratch.drop();
    },
  };
}
