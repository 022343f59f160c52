import { eq } from 'drizzle-orm';
import type { Deployment, DeploymentPatch, NewDeployment } from '../../domain/deployment.js';
import { DeckhandError } from '../../domain/errors.js';
import { cleanJson } from '../../domain/log-text.js';
import type { DeploymentStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { deploymentQueries } from './deployment-queries.js';
import { deployments } from './schema.js';

type Row = typeof deployments.$inferSelect;

function toDeployment(row: Row): Deployment {
  return { ...row, status: row.status as Deployment['status'], source: row.source as Deployment['source'], trigger: row.trigger as Deployment['trigger'], rollbackSource: row.rollbackSource as Deployment['rollbackSource'] };
}

export class DrizzleDeploymentStore implements DeploymentStore {
  /** The hot reads, prepared once for this handle and reused by every call. */
  private readonly queries: ReturnType<typeof deploymentQueries>;

  constructor(private readonly db: Db) {
    this.queries = deploymentQueries(db);
  }

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
    const [row] = await this.queries.get.execute({ id });
    return row ? toDeployment(row) : undefined;
  }

  async list(app: string, limit: number): Promise<Deployment[]> {
    return (await this.queries.list.execute({ app, limit })).map(toDeployment);
  }

  async all(app: string): Promise<Deployment[]> {
    return (await this.queries.all.execute({ app })).map(toDeployment);
  }

  async current(app: string): Promise<Deployment | undefined> {
    const [row] = await this.queries.current.execute({ app });
    return row ? toDeployment(row) : undefined;
  }

  async newerSucceeded(app: string, id: number): Promise<Deployment | undefined> {
    const [row] = await this.queries.newerSucceeded.execute({ app, id });
    return row ? toDeployment(row) : undefined;
  }

  async inFlight(app: string): Promise<Deployment[]> {
    return (await this.queries.inFlight.execute({ app })).map(toDeployment);
  }
}
