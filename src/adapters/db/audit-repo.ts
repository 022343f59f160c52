import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { AuditEntry, AuditStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { auditEvents } from './schema.js';

export class DrizzleAuditStore implements AuditStore {
  constructor(private readonly db: Db) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.insert(auditEvents).values({
      actor: entry.actor,
      action: entry.action,
      app: entry.app,
      deploymentId: entry.deploymentId ?? null,
      targetDeploymentId: entry.targetDeploymentId ?? null,
      result: entry.result,
      details: entry.details ?? null,
    });
  }

  async list(filter: { app?: string; action?: string; limit?: number }) {
    const conditions: SQL[] = [];
    if (filter.app) conditions.push(eq(auditEvents.app, filter.app));
    if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(auditEvents.id))
      .limit(filter.limit ?? 100);
    return rows.map((row) => ({ ...row, result: row.result as AuditEntry['result'], details: row.details ?? undefined }));
  }
}
