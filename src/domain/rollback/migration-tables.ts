/** Migrations tables deckhand can read for schema warnings, by the tool that writes them. */
export const SUPPORTED_MIGRATION_TABLES = ['__drizzle_migrations', '_prisma_migrations', 'knex_migrations', 'flyway_schema_history'] as const;
export type MigrationTable = (typeof SUPPORTED_MIGRATION_TABLES)[number];

export function isSupportedMigrationTable(name: string): name is MigrationTable {
  return (SUPPORTED_MIGRATION_TABLES as readonly string[]).includes(name);
}
