import { and, asc, eq } from 'drizzle-orm';
import type { Pin, PinStore } from '../../domain/ports.js';
import type { Db } from './client.js';
import { pins } from './schema.js';

export class DrizzlePinStore implements PinStore {
  constructor(private readonly db: Db) {}

  async pin(pin: Pin): Promise<void> {
    await this.db.insert(pins).values(pin).onConflictDoNothing();
  }

  async unpin(app: string, deploymentId: number): Promise<boolean> {
    const removed = await this.db.delete(pins).where(and(eq(pins.app, app), eq(pins.deploymentId, deploymentId))).returning();
    return removed.length > 0;
  }

  list(app: string): Promise<Pin[]> {
    return this.db.select().from(pins).where(eq(pins.app, app)).orderBy(asc(pins.deploymentId));
  }
}
