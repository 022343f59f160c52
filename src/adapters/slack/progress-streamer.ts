import type { DeployEvent, Phase } from '../../domain/deploy/events.js';
import type { Deployment } from '../../domain/deployment.js';
import { formatDuration } from '../../domain/duration.js';
import { asDeckhandError } from '../../domain/errors.js';
import { shortSha } from '../../domain/refs/git-ref.js';
import { STATUS_EMOJI, context, esc, section } from './blocks/common.js';
import { logTailBlock } from './blocks/limits.js';
import type { Message, SlackGateway } from './slack-gateway.js';

export interface StreamOptions {
  channel: string;
  app: string;
  /** What is happening, for the parent message: "Deploying `main` to web". */
  title: string;
  kind: 'deploy' | 'rollback';
  rollbackTarget?: number;
  /** How often the coalesced log reply and the status block may be updated. */
  intervalMs?: number;
  /** Full log kept for the failure upload. */
  maxLogLines?: number;
  /**
   * The app's redactor, applied to everything from outside deckhand (log lines, health details, phase and
   * error messages, the uploaded log) before it is escaped and sent: secrets are hidden wherever they occur.
   */
  redact?: (text: string) => string;
}

const PHASE_EMOJI: Partial<Record<Phase, string>> = {
  artifact: ':package:',
  build: ':hammer_and_wrench:',
  start: ':rocket:',
  health: ':stethoscope:',
  switch: ':twisted_rightwards_arrows:',
  cleanup: ':broom:',
};

/**
 * One deploy's progress in a Slack thread: a parent message whose status block is updated, a reply per phase,
 * the build-log tail coalesced into one reply updated at most every `intervalMs`, health attempts in one reply,
 * and the result. On failure the full log is uploaded into the thread and the failure broadcast to the channel.
 */
export class ProgressStreamer {
  private parentTs: string | undefined;
  private logTs: string | undefined;
  private healthTs: string | undefined;
  private readonly log: string[] = [];
  private logDropped = 0;
  private logDirty = false;
  private healthText = '';
  private healthDirty = false;
  private status = 'Starting';
  private statusDirty = false;
  private deploymentId: number | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly maxLogLines: number;
  private readonly redact: (text: string) => string;
  readonly errors: string[] = [];

  constructor(
    private readonly slack: SlackGateway,
    private readonly options: StreamOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 3000;
    this.maxLogLines = options.maxLogLines ?? 50_000;
    this.redact = options.redact ?? ((text) => text);
  }

  /** Redacted, then escaped: the order matters (a secret with `&` in it must be found before it is escaped). */
  private safe(text: string): string {
    return esc(this.redact(text));
  }

  get threadTs(): string | undefined {
    return this.parentTs;
  }

  async open(): Promise<void> {
    this.parentTs = await this.slack.post(this.options.channel, this.parentMessage(':hourglass_flowing_sand:', esc(this.status)));
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  private enqueue(task: () => Promise<unknown>): void {
    this.chain = this.chain.then(task).catch((error) => {
      this.errors.push(asDeckhandError(error).message);
    });
  }

  handle(event: DeployEvent): void {
    if (event.app !== this.options.app) return;
    this.deploymentId ??= event.deploymentId;
    if (event.deploymentId !== this.deploymentId) return;
    switch (event.type) {
      case 'log':
        if (this.log.length >= this.maxLogLines) {
          this.log.shift();
          this.logDropped += 1;
        }
        this.log.push(this.redact(event.line));
        if (!this.logTs) {
          this.logTs = 'pending';
          this.enqueue(async () => {
            this.logTs = await this.slack.post(this.options.channel, this.logMessage(), this.parentTs);
          });
        } else {
          this.logDirty = true;
        }
        return;
      case 'health':
        this.healthText = `:stethoscope: Health check attempt ${event.attempt}: ${event.ok ? 'healthy' : this.safe(event.detail)}`;
        if (!this.healthTs) {
          this.healthTs = 'pending';
          this.enqueue(async () => {
            this.healthTs = await this.slack.post(this.options.channel, { text: this.healthText }, this.parentTs);
          });
        } else {
          this.healthDirty = true;
        }
        return;
      case 'phase':
        if (event.phase === 'done') return;
        this.status = this.redact(event.message);
        this.statusDirty = true;
        if (event.phase !== 'health') {
          this.enqueue(() => this.slack.post(this.options.channel, { text: `${PHASE_EMOJI[event.phase] ?? ':small_blue_diamond:'} ${this.safe(event.message)}` }, this.parentTs));
        }
        return;
      case 'switch':
        this.status = `Traffic moved to #${event.to}`;
        this.statusDirty = true;
        return;
      case 'result':
        return;
    }
  }

  /** Sends the coalesced updates; runs every interval. */
  private flush(): void {
    if (this.logDirty && this.logTs && this.logTs !== 'pending') {
      this.logDirty = false;
      const ts = this.logTs;
      this.enqueue(() => this.slack.update(this.options.channel, ts, this.logMessage()));
    }
    if (this.healthDirty && this.healthTs && this.healthTs !== 'pending') {
      this.healthDirty = false;
      const ts = this.healthTs;
      this.enqueue(() => this.slack.update(this.options.channel, ts, { text: this.healthText }));
    }
    if (this.statusDirty && this.parentTs) {
      this.statusDirty = false;
      const ts = this.parentTs;
      this.enqueue(() => this.slack.update(this.options.channel, ts, this.parentMessage(':arrows_counterclockwise:', esc(this.status))));
    }
  }

  /** Final status, log and result; the parent's final update is retried until it lands. */
  async finish(deployment: Deployment): Promise<void> {
    clearInterval(this.timer);
    this.deploymentId ??= deployment.id;
    this.logDirty = this.logDirty || (this.log.length > 0 && this.logTs !== undefined);
    this.flush();
    const duration = deployment.startedAt && deployment.finishedAt ? formatDuration(deployment.finishedAt.getTime() - deployment.startedAt.getTime()) : '?';
    const ok = deployment.status === 'succeeded';
    const summary = this.summary(deployment, duration);
    this.enqueue(() => this.slack.post(this.options.channel, { text: `${STATUS_EMOJI[deployment.status]} ${summary}` }, this.parentTs));
    if (!ok) {
      const lines = this.failureLog(deployment);
      if (lines.length) {
        const content = `${this.logDropped ? `[${this.logDropped} earlier lines dropped]\n` : ''}${lines.join('\n')}\n`;
        this.enqueue(() => this.slack.upload(this.options.channel, this.parentTs!, `deploy-${deployment.id}.log`, content, `Log of deploy #${deployment.id}`));
      }
      this.enqueue(() => this.slack.post(this.options.channel, { text: `:rotating_light: ${summary}` }, this.parentTs, true));
    }
    await this.chain;
    await this.finalUpdate(this.parentMessage(STATUS_EMOJI[deployment.status], summary));
  }

  /**
   * The uploaded log: the streamed build log, then the new container's last lines when the deploy got that far
   * (the pipeline's log tail is the container's log then, else the build log's own tail, not repeated).
   */
  private failureLog(deployment: Deployment): string[] {
    const tail = (deployment.logTail ?? []).map(this.redact);
    const repeatsBuild = tail.length <= this.log.length && tail.every((line, i) => line === this.log[this.log.length - tail.length + i]);
    if (tail.length === 0 || repeatsBuild) return this.log;
    return [...this.log, `--- last ${tail.length} lines of the container's log ---`, ...tail];
  }

  /** The deploy never started (refused: in progress, locked, out of date ...). */
  async refused(error: unknown): Promise<void> {
    clearInterval(this.timer);
    const e = asDeckhandError(error);
    await this.chain;
    await this.finalUpdate(this.parentMessage(':no_entry:', `${e.code}: ${this.safe(e.message)}`));
  }

  private async finalUpdate(message: Message): Promise<void> {
    if (!this.parentTs) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.slack.update(this.options.channel, this.parentTs, message);
        return;
      } catch (error) {
        if (attempt >= 8) {
          this.errors.push(asDeckhandError(error).message);
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 15_000)));
      }
    }
  }

  private summary(d: Deployment, duration: string): string {
    if (d.status === 'succeeded') {
      return this.options.kind === 'rollback'
        ? `${esc(d.app)} rolled back to #${this.options.rollbackTarget ?? d.rollbackOf} in ${duration} (as #${d.id}, ${d.rollbackSource})`
        : `Deployed ${esc(d.app)} #${d.id} (${d.commitSha ? `\`${shortSha(d.commitSha)}\`` : esc(d.imageRef ?? '')}) in ${duration}`;
    }
    return `${this.options.kind === 'rollback' ? 'Rollback' : 'Deploy'} #${d.id} of ${esc(d.app)} ${d.status}: ${esc(d.errorCode ?? '')}: ${this.safe(d.error ?? '')}`;
  }

  /** `title` and `status` are mrkdwn: every piece of user or app text in them was escaped when they were built. */
  private parentMessage(emoji: string, status: string): Message {
    return {
      text: `${this.options.title}: ${status}`,
      blocks: [section(`*${this.options.title}*\n${emoji} ${status}`), context([this.deploymentId ? `Deploy #${this.deploymentId} · progress in the thread` : 'Progress in the thread'])],
    };
  }

  private logMessage(): Message {
    return { text: 'Build log', blocks: [section(`:scroll: *Build log* (${this.log.length + this.logDropped} lines)\n${logTailBlock(this.log.slice(-60))}`)] };
  }
}
