import { asDeckhandError } from '../../domain/errors.js';
import type { Message } from './slack-gateway.js';

/** Slack accepts 5 messages on one response_url, within 30 minutes. */
export const RESPONSE_URL_USES = 5;

/**
 * Messages to the person through their command's or click's response_url, within its budget: progress never
 * takes the last use, which is kept for the result. Each message is tried 3 times.
 */
export class ResponseUrlReplies {
  private used = 0;

  constructor(
    private readonly respond: ((message: Message) => Promise<unknown>) | undefined,
    private readonly errors: string[],
  ) {}

  async send(message: Message, kind: 'progress' | 'notice' | 'result'): Promise<void> {
    if (!this.respond) return;
    const left = RESPONSE_URL_USES - this.used;
    if (left <= 0 || (kind === 'progress' && left <= 2) || (kind === 'notice' && left <= 1)) return;
    this.used += 1;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        await this.respond(message);
        return;
      } catch (error) {
        if (attempt === 3) this.errors.push(`response_url: ${asDeckhandError(error).message}`);
        else await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }
}
