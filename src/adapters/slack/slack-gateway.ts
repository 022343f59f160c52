import type { WebClient } from '@slack/web-api';
import type { Block } from './blocks/common.js';
import { LIMITS, clip } from './blocks/limits.js';
import { DEFAULT_OUTBOX, Outbox, type OutboxOptions, isDeletedMessage, pacedAt } from './outbox.js';

export interface Message {
  text: string;
  blocks?: Block[];
}

/**
 * The Slack Web API calls deckhand makes, all through a per-channel outbox (see outbox.ts): new messages (posts
 * and file uploads) at most one per `gapMs` per channel, updates paced in their own lane, 429s waited out, 5xx
 * retried until a deadline, refusals (not_in_channel …) thrown at once as SlackRefusal.
 */
export class SlackGateway {
  readonly outbox: Outbox;
  /** Messages (`channel/ts`) that an update went out to and got no answer (a timeout, a dropped connection). */
  private readonly unanswered = new Set<string>();

  constructor(
    readonly client: WebClient,
    options: number | Partial<OutboxOptions> = {},
  ) {
    this.outbox = new Outbox({ ...DEFAULT_OUTBOX, ...(typeof options === 'number' ? pacedAt(options) : options) });
  }

  async post(channel: string, message: Message, threadTs?: string, broadcast = false): Promise<string> {
    const base = { channel, text: clip(message.text, LIMITS.messageText), blocks: message.blocks as never, unfurl_links: false };
    const args = threadTs ? { ...base, thread_ts: threadTs, reply_broadcast: broadcast } : base;
    const result = await this.outbox.send('post', channel, () => this.client.chat.postMessage(args));
    return result.ts!;
  }

  async update(channel: string, ts: string, message: Message): Promise<void> {
    await this.outbox.send('update', channel, async () => {
      try {
        return await this.client.chat.update({ channel, ts, text: clip(message.text, LIMITS.messageText), blocks: (message.blocks ?? []) as never });
      } catch (error) {
        if ((error as { code?: string }).code === 'slack_webapi_request_error') this.unanswered.add(`${channel}/${ts}`);
        throw error;
      }
    });
  }

  /**
   * Updates the message at `ts`; when it is gone (someone deleted it, and Slack answers `message_not_found`), posts
   * `message` anew, as a reply in `threadTs`'s thread when given. The channel itself is fine: nothing else changes.
   * Returns the ts that holds the message now.
   */
  async updateOrRepost(channel: string, ts: string, message: Message, threadTs?: string): Promise<string> {
    try {
      await this.update(channel, ts, message);
      return ts;
    } catch (error) {
      if (!isDeletedMessage(error)) throw error;
    }
    return this.post(channel, message, threadTs);
  }

  /**
   * True once an update of this message got no answer: Slack may still apply that request later, over a newer
   * update (the outbox retried it, but the first copy may be in flight). The one who sends the last version re-sends it.
   */
  updateInDoubt(channel: string, ts: string): boolean {
    return this.unanswered.has(`${channel}/${ts}`);
  }

  async upload(channel: string, threadTs: string, filename: string, content: string, title: string): Promise<void> {
    await this.outbox.send('post', channel, () => this.client.files.uploadV2({ channel_id: channel, thread_ts: threadTs, filename, content, title }));
  }

  async postEphemeral(channel: string, user: string, message: Message): Promise<void> {
    await this.outbox.send('post', channel, () => this.client.chat.postEphemeral({ channel, user, text: clip(message.text, LIMITS.messageText), blocks: message.blocks as never }));
  }
}
