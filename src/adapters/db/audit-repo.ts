import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { AuditEntry, AuditStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { auditEvents } from './schema.js';

/** The two filters on hot paths: one action of an app (the abort poll, every 500 ms per running deploy) and an app's log. */
function auditQueries(db: Db) {
  const newest = (where: SQL) => db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).limit(sql.placeholder('limit'));
  return {
    appAction: newest(and(eq(auditEvents.app, sql.placeholder('app')), eq(auditEvents.action, sql.placeholder('action')))!).prepare('audit_app_action'),
    app: newest(eq(auditEvents.app, sql.placeholder('app'))).prepare('audit_app'),
  };
}

export class DrizzleAuditStore implements AuditStore {
  private readonly queries: ReturnType<typeof auditQueries>;

  constructor(private readonly db: Db) {
    this.queries = auditQueries(db);
  }

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
    const { app, action } = filter;
    const limit = filter.limit ?? 100;
    const rows = app && action ? await this.queries.appAction.execute({ app, action, limit }) : app ? await this.queries.app.execute({ app, limit }) : await this.others(action, limit);
    return rows.map((row) => ({ ...row, result: row.result as AuditEntry['result'], details: row.details ?? undefined }));
  }

  /** Across apps (the CLI's whole log, one action everywhere): not on a hot path, built per call. */
  private others(action: string | undefined, limit: number) {
    return this.db.select().from(auditEvents).where(action ? eq(auditEvents.action, action) : undefined).orderBy(desc(auditEvents.id)).limit(limit);
  }
}
