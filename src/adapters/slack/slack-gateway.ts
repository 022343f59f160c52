import type { WebClient } from '@slack/web-api';
import type { Block } from './blocks/common.js';
import { LIMITS, clip } from './blocks/limits.js';

export interface Message {
  text: string;
  blocks?: Block[];
}

/**
 * The Slack Web API calls deckhand makes. New messages (posts and file uploads) are paced per channel: never more
 * than one per `gapMs` (Slack allows about one per second per channel). A 429 is waited out by the WebClient,
 * which honours Retry-After and retries.
 */
export class SlackGateway {
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly lastSent = new Map<string, number>();

  constructor(
    readonly client: WebClient,
    private readonly gapMs = 1100,
  ) {}

  private paced<T>(channel: string, call: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(channel) ?? Promise.resolve();
    const next = previous.then(async () => {
      const wait = (this.lastSent.get(channel) ?? 0) + this.gapMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await call();
      } finally {
        this.lastSent.set(channel, Date.now());
      }
    });
    this.lanes.set(channel, next.catch(() => undefined));
    return next;
  }

  async post(channel: string, message: Message, threadTs?: string, broadcast = false): Promise<string> {
    const base = { channel, text: clip(message.text, LIMITS.messageText), blocks: message.blocks as never, unfurl_links: false };
    const args = threadTs ? { ...base, thread_ts: threadTs, reply_broadcast: broadcast } : base;
    const result = await this.paced(channel, () => this.client.chat.postMessage(args));
    return result.ts!;
  }

  async update(channel: string, ts: string, message: Message): Promise<void> {
    await this.client.chat.update({ channel, ts, text: clip(message.text, LIMITS.messageText), blocks: (message.blocks ?? []) as never });
  }

  async upload(channel: string, threadTs: string, filename: string, content: string, title: string): Promise<void> {
    await this.paced(channel, () => this.client.files.uploadV2({ channel_id: channel, thread_ts: threadTs, filename, content, title }));
  }

  async postEphemeral(channel: string, user: string, message: Message): Promise<void> {
    await this.client.chat.postEphemeral({ channel, user, text: clip(message.text, LIMITS.messageText), blocks: message.blocks as never });
  }
}
