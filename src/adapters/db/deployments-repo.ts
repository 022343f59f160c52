import { and, desc, eq, gt, inArray, isNotNull } from 'drizzle-orm';
import { type Deployment, type DeploymentPatch, InFlightStatuses, type NewDeployment } from '../../domain/deployment.js';
import { DeckhandError } from '../../domain/errors.js';
import { cleanJson } from '../../domain/log-text.js';
import type { DeploymentStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { deployments } from './schema.js';

type Row = typeof deployments.$inferSelect;

const IN_FLIGHT = [...InFlightStatuses];

function toDeployment(row: Row): Deployment {
  return { ...row, status: row.status as Deployment['status'], source: row.source as Deployment['source'], trigger: row.trigger as Deployment['trigger'], rollbackSource: row.rollbackSource as Deployment['rollbackSource'] };
}

export class DrizzleDeploymentStore implements DeploymentStore {
  constructor(private readonly db: Db) {}

  async create(input: NewDeployment): Promise<Deployment> {
    // cleanJson: no NUL or broken character from a build or a container can make Postgres refuse the row.
    const [row] = await this.db.insert(deployments).values(cleanJson(input)).returning();
    return toDeployment(row!);
  }

  async update(id: number, patch: DeploymentPatch): Promise<Deployment> {
    const [row] = await this.db.update(deployments).set(cleanJson(patch)).where(eq(deployments.id, id)).returning();
    if (!row) throw new DeckhandError('not_found', `There is no deploy #${id}.`, { id });
    return toDeployment(row);
  }

  async get(id: number): Promise<Deployment | undefined> {
    const [row] = await this.db.select().from(deployments).where(eq(deployments.id, id));
    return row ? toDeployment(row) : undefined;
  }

  async list(app: string, limit: number): Promise<Deployment[]> {
    const rows = await this.db.select().from(deployments).where(eq(deployments.app, app)).orderBy(desc(deployments.id)).limit(limit);
    return rows.map(toDeployment);
  }

  async all(app: string): Promise<Deployment[]> {
    const rows = await this.db.select().from(deployments).where(eq(deployments.app, app)).orderBy(desc(deployments.id));
    return rows.map(toDeployment);
  }

  async current(app: string): Promise<Deployment | undefined> {
    const [row] = await this.db
      .select()
      .from(deployments)
      .where(and(eq(deployments.app, app), eq(deployments.status, 'succeeded'), isNotNull(deployments.finishedAt)))
      .orderBy(desc(deployments.finishedAt), desc(deployments.id))
      .limit(1);
    return row ? toDeployment(row) : undefined;
  }

  async newerSucceeded(app: string, id: number): Promise<Deployment | undefined> {
    const [row] = await this.db
      .select()
      .from(deployments)
      .where(and(eq(deployments.app, app), eq(deployments.status, 'succeeded'), gt(deployments.id, id)))
      .orderBy(desc(deployments.id))
      .limit(1);
    return row ? toDeployment(row) : undefined;
  }

  async inFlight(app: string): Promise<Deployment[]> {
    const rows = await this.db
      .select()
      .from(deployments)
      .where(and(eq(deployments.app, app), inArray(deployments.status, IN_FLIGHT)))
      .orderBy(desc(deployments.id));
    return rows.map(toDeployment);
  }
}
