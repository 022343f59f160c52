import postgres from 'postgres';
import { DeckhandError } from '../../domain/errors.js';
import type { MigrationDatabase, MigrationHistory } from '../../domain/ports.js';
import { type MigrationTable, SUPPORTED_MIGRATION_TABLES, isSupportedMigrationTable } from '../../domain/rollback/migration-tables.js';

interface TableShape {
  /** Schemas to look in, in order, when the configured name has none. */
  schemas: string[];
  name: string;
  /** SQL expression for a readable migration name. */
  label: string;
  /** SQL expression for when it was applied, as timestamptz. */
  appliedAt: string;
  /** Extra condition: only successful, not rolled back. */
  where?: string;
}

/** The migrations tables of common tools, by name (drizzle keeps a hash and a millisecond timestamp). */
const KNOWN: Record<MigrationTable, TableShape> = {
  __drizzle_migrations: { schemas: ['drizzle', 'public'], name: '__drizzle_migrations', label: `'drizzle migration ' || hash`, appliedAt: 'to_timestamp(created_at / 1000.0)' },
  _prisma_migrations: { schemas: ['public'], name: '_prisma_migrations', label: 'migration_name', appliedAt: 'finished_at', where: 'finished_at is not null and rolled_back_at is null' },
  knex_migrations: { schemas: ['public'], name: 'knex_migrations', label: 'name', appliedAt: 'migration_time' },
  flyway_schema_history: { schemas: ['public'], name: 'flyway_schema_history', label: `coalesce(version, '') || ' ' || description || ' (' || script || ')'`, appliedAt: 'installed_on', where: 'success' },
};


/** Reads an app's migrations table over a read-only connection; never writes. */
export class PostgresMigrationHistory implements MigrationHistory {
  async appliedSince(database: MigrationDatabase, since: Date): Promise<string[]> {
    const [schema, bare] = database.table.includes('.') ? database.table.split('.', 2) : [undefined, database.table];
    const shape = isSupportedMigrationTable(bare!) ? KNOWN[bare] : undefined;
    if (!shape) throw new DeckhandError('config_invalid', `Unknown migrations table "${database.table}"; supported: ${SUPPORTED_MIGRATION_TABLES.join(', ')}.`);
    const sql = postgres(database.url, { max: 1, connect_timeout: 5, idle_timeout: 1, fetch_types: false, onnotice: () => undefined, connection: { default_transaction_read_only: true, statement_timeout: 5000 } });
    try {
      const schemas = schema ? [schema] : shape.schemas;
      // The schemas go as one JSON text (no array parameter: this client asks Postgres for no array types on connect).
      const [found] = await sql<{ schema: string }[]>`
        select t.table_schema as schema
        from information_schema.tables t
        join jsonb_array_elements_text(${sql.json(schemas)}::jsonb) with ordinality as wanted(name, position) on wanted.name = t.table_schema
        where t.table_name = ${shape.name}
        order by wanted.position limit 1`;
      if (!found) return [];
      const rows = await sql.unsafe<{ label: string; applied_at: Date }[]>(
        `select ${shape.label} as label, ${shape.appliedAt} as applied_at from "${found.schema.replace(/"/g, '""')}"."${shape.name}"
         where ${shape.appliedAt} > $1 ${shape.where ? `and ${shape.where}` : ''} order by ${shape.appliedAt}`,
        [since],
      );
      return rows.map((row) => `${row.label} (applied ${new Date(row.applied_at).toISOString()})`);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}
