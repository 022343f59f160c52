import postgres from 'postgres';
import { createScratchDatabase } from './db.js';

/** An app's own Postgres database with a drizzle migrations table (drizzle.__drizzle_migrations). */
export async function createAppDatabase() {
  const scratch = await createScratchDatabase('deckhand_app');
  const sql = postgres(scratch.url, { max: 1, onnotice: () => undefined });
  await sql.unsafe('create schema drizzle; create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)');
  return {
    url: scratch.url,
    applied: async (hash: string, at: Date) => {
      await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${hash}, ${at.getTime()})`;
    },
    drop: async () => {
      await sql.end();
      await scratch.drop();
    },
  };
}
