import type { WebClient } from '@slack/web-api';
import type { GroupDirectory } from '../../domain/access/authorizer.js';

/** User group membership through usergroups.users.list (scope usergroups:read). */
export class SlackGroupDirectory implements GroupDirectory {
  constructor(private readonly client: WebClient) {}

  async members(groupId: string): Promise<string[]> {
    const result = await this.client.usergroups.users.list({ usergroup: groupId });
    return result.users ?? [];
  }
}
