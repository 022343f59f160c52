import type { AppSpec } from '../apps.js';
import type { Clock } from '../clock.js';
import { DeckhandError } from '../errors.js';

/** Slack user groups, seen from the domain. */
export interface GroupDirectory {
  members(groupId: string): Promise<string[]>;
}

export type Capability = 'deploy' | 'rollback';

/**
 * Who may do what, per app: user ids and user group ids from the config. Group membership is cached for
 * `cacheMs` (a few minutes) so a burst of clicks does not hammer usergroups.users.list.
 */
export class Authorizer {
  private readonly cache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly groups: GroupDirectory,
    private readonly clock: Clock,
    private readonly cacheMs = 300_000,
  ) {}

  async allowed(userId: string, principals: string[] | undefined): Promise<boolean> {
    if (principals === undefined) return true;
    if (principals.includes(userId)) return true;
    for (const group of principals.filter((p) => p.startsWith('S'))) {
      if ((await this.membersOf(group)).has(userId)) return true;
    }
    return false;
  }

  async can(userId: string, app: AppSpec, capability: Capability): Promise<boolean> {
    return this.allowed(userId, app.access?.[capability]);
  }

  /** Throws `forbidden` naming the app and the capability. */
  async require(userId: string, app: AppSpec, capability: Capability): Promise<void> {
    if (!(await this.can(userId, app, capability))) {
      throw new DeckhandError('forbidden', `You are not allowed to ${capability === 'deploy' ? 'deploy' : 'roll back'} ${app.name}. Ask someone listed in its access.${capability} setting.`, {
        app: app.name,
        capability,
      });
    }
  }

  private async membersOf(group: string): Promise<Set<string>> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(group);
    if (cached && cached.until > now) return cached.members;
    const members = new Set(await this.groups.members(group));
    this.cache.set(group, { members, until: now + this.cacheMs });
    return members;
  }
}
