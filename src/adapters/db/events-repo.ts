import { asc, eq, sql } from 'drizzle-orm';
import type { DeployEvent } from '../../domain/deploy/events.js';
import { cleanJson } from '../../domain/log-text.js';
import type { DeploymentEventStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { deploymentEvents } from './schema.js';

function describe(event: DeployEvent): { kind: string; message: string; data: unknown } {
  switch (event.type) {
    case 'phase':
      return { kind: `phase.${event.phase}`, message: event.message, data: null };
    case 'log':
      return { kind: 'log', message: event.line, data: null };
    case 'health':
      return { kind: 'health', message: `attempt ${event.attempt}: ${event.detail}`, data: { attempt: event.attempt, ok: event.ok } };
    case 'switch':
      return { kind: 'switch', message: `traffic moved from ${event.from ?? 'nothing'} to #${event.to} (${event.mode})`, data: { from: event.from, to: event.to, mode: event.mode } };
    case 'result':
      return { kind: 'result', message: event.note ? `${event.status}: ${event.note}` : event.status, data: { status: event.status, error: event.error, durationMs: event.durationMs, logTail: event.logTail, ...(event.note ? { note: event.note } : {}) } };
  }
}

export class DrizzleDeploymentEventStore implements DeploymentEventStore {
  /** A deployment's events in order (the CLI's `deckhand logs`, the card's progress): prepared once, reused. */
  private readonly byDeployment;

  constructor(private readonly db: Db) {
    this.byDeployment = db
      .select({ at: deploymentEvents.at, kind: deploymentEvents.kind, message: deploymentEvents.message, data: deploymentEvents.data })
      .from(deploymentEvents)
      .where(eq(deploymentEvents.deploymentId, sql.placeholder('deploymentId')))
      .orderBy(asc(deploymentEvents.id))
      .prepare('deployment_events_list');
  }

  async append(event: DeployEvent): Promise<void> {
    await this.db.insert(deploymentEvents).values({ deploymentId: event.deploymentId, at: event.at, ...cleanJson(describe(event)) });
  }

  async list(deploymentId: number) {
    return this.byDeployment.execute({ deploymentId });
  }
}
