import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { postgresUrl } from './infra.js';

/** An app's own Postgres database with a drizzle migrations table (drizzle.__drizzle_migrations). */
export async function createAppDatabase() {
  const name = `deckhand_app_${randomBytes(6).toString('hex')}`;
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined });
  await sql.unsafe('create schema drizzle; create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)');
  return {
    url: url.toString(),
    applied: async (hash: string, at: Date) => {
      await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${hash}, ${at.getTime()})`;
    },
    drop: async () => {
      await sql.end();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
