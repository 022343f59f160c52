import type { DeployEvent } from '../../domain/deploy/events.js';
import type { Deployment } from '../../domain/deployment.js';
import { asDeckhandError } from '../../domain/errors.js';
import { OMITTED } from '../../domain/log-text.js';
import { type Block, STATUS_EMOJI, esc, section } from './blocks/common.js';
import { logTailBlock } from './blocks/limits.js';
import { LogRing } from './log-ring.js';
import { PHASE_EMOJI, logMessage, parentMessage, successSummary } from './progress-messages.js';
import { channelProblem } from './channel-problem.js';
import { ResponseUrlReplies } from './response-url.js';
import { failureSentence, failureUpload, nextStepButtons } from './failure-story.js';
import { abortButton } from './blocks/abort.js';
import type { StreamOptions } from './progress-stream-options.js';
import type { Message, SlackGateway } from './slack-gateway.js';

export type { StreamOptions } from './progress-stream-options.js';

/** A container log cut to fit Slack keeps this many of its first lines. */
const CONTAINER_HEAD_LINES = 3;
/**
 * One deployment's progress in a Slack thread: a parent message whose status block is updated, a reply per phase,
 * the build-log tail coalesced into one reply, health attempts in one reply, and the result. It follows only the
 * deployment it is given (`track`): events of any other deployment are ignored. Nothing here is awaited by the
 * deploy: every Slack call goes through the gateway's outbox, in order, after the parent lands. When the channel
 * refuses, the person hears it through `respond`, with the fix, the progress and the result.
 *
 * A build can print hundreds of thousands of lines: each costs O(1) here (redacted once, written into a bounded ring),
 * and a message is rendered only when it is sent, at most once per interval, from the lines it shows. Every call
 * goes through one chain, so the final update of the parent is always the last one sent.
 */
export class ProgressStreamer {
  private parentTs: string | undefined;
  private logTs: string | undefined;
  private healthTs: string | undefined;
  private readonly log: LogRing;
  private logDirty = false;
  private healthText = '';
  private healthDirty = false;
  private status = 'Starting';
  private statusDirty = false;
  private deploymentId: number | undefined;
  private opened = false;
  private adoptFirst = false;
  private sawContainer = false;
  /** When traffic moved to the deployment (its `switch` event): the result says both moments. */
  private switchedAt: Date | undefined;
  private resultNote: string | undefined;
  private channelDown = false;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly maxLogLines: number;
  private readonly redact: (text: string) => string;
  readonly errors: string[] = [];
  private readonly replies: ResponseUrlReplies;

  constructor(
    private readonly slack: SlackGateway,
    private readonly options: StreamOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 3000;
    this.maxLogLines = options.maxLogLines ?? 50_000;
    this.log = new LogRing(Math.max(1, Math.floor(this.maxLogLines)));
    this.redact = options.redact ?? ((text) => text);
    this.replies = new ResponseUrlReplies(options.respond, this.errors);
  }

  /** Redacted, then escaped: the order matters (a secret with `&` in it must be found before it is escaped). */
  private safe = (text: string): string => esc(this.redact(text));

  get threadTs(): string | undefined {
    return this.parentTs;
  }

  /** True once the thread is opened: the deployment exists. */
  get started(): boolean {
    return this.opened;
  }

  /** The deployment exists (the work started): follow it, and queue the parent message. Returns at once. */
  track(deploymentId?: number): void {
    this.deploymentId ??= deploymentId;
    if (this.opened) return;
    this.opened = true;
    this.enqueue(async () => {
      this.parentTs = await this.slack.post(this.options.channel, this.parentMessage(':hourglass_flowing_sand:', esc(this.status)));
    });
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Posts the parent now and waits for it; without a deployment id the stream follows the first one it sees. */
  async open(): Promise<void> {
    this.adoptFirst = this.deploymentId === undefined;
    if (!this.opened) this.track();
    await this.chain;
  }

  /** Tasks run one after another; once the channel has refused, they are skipped. */
  private enqueue(task: () => Promise<unknown>): void {
    this.chain = this.chain.then(async () => {
      if (this.channelDown) return;
      try {
        await task();
      } catch (error) {
        await this.channelFailed(error);
      }
    });
  }

  private async channelFailed(error: unknown): Promise<void> {
    this.errors.push(error instanceof Error ? error.message : asDeckhandError(error).message);
    if (this.channelDown) return;
    this.channelDown = true;
    const note = this.deploymentId === undefined ? '' : ` ${this.options.kind === 'rollback' ? 'The rollback' : 'The deploy'} goes on; I'll tell you how it ends here.`;
    await this.replies.send({ text: `${channelProblem(error, this.options.channel)}${note}\n*${this.options.title}*: ${esc(this.status)}` }, 'notice');
  }

  handle(event: DeployEvent): void {
    if (event.app !== this.options.app) return;
    if (this.adoptFirst) this.deploymentId ??= event.deploymentId;
    if (!this.opened && event.deploymentId === this.options.deploymentId) this.track(event.deploymentId);
    if (this.deploymentId === undefined || event.deploymentId !== this.deploymentId) return;
    switch (event.type) {
      case 'log':
        this.log.push(this.redact(event.line));
        if (!this.logTs) {
          this.logTs = 'pending';
          this.enqueue(async () => {
            this.logTs = await this.slack.post(this.options.channel, logMessage(this.log), this.parentTs);
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
        if (event.phase === 'start' || event.phase === 'health') this.sawContainer = true;
        this.status = this.redact(event.message);
        this.statusDirty = true;
        if (event.phase !== 'health') {
          this.enqueue(() => this.slack.post(this.options.channel, { text: `${PHASE_EMOJI[event.phase] ?? ':small_blue_diamond:'} ${this.safe(event.message)}` }, this.parentTs));
        }
        return;
      case 'switch':
        this.switchedAt = event.at;
        this.status = `Traffic moved to #${event.to}`;
        this.statusDirty = true;
        if (this.channelDown) void this.replies.send({ text: `:twisted_rightwards_arrows: ${this.options.title}: traffic now goes to #${event.to}.` }, 'progress');
        return;
      case 'result':
        this.resultNote = event.note;
        return;
    }
  }

  /** Sends the coalesced updates; runs every interval. */
  private flush(): void {
    if (this.logDirty && this.logTs && this.logTs !== 'pending') {
      this.logDirty = false;
      // The reply's ts as it is when the task runs: a parent posted again meanwhile gave it a new one.
      this.enqueue(async () => {
        this.logTs = await this.slack.updateOrRepost(this.options.channel, this.logTs!, logMessage(this.log), this.parentTs);
      });
    }
    if (this.healthDirty && this.healthTs && this.healthTs !== 'pending') {
      this.healthDirty = false;
      this.enqueue(async () => {
        this.healthTs = await this.slack.updateOrRepost(this.options.channel, this.healthTs!, { text: this.healthText }, this.parentTs);
      });
    }
    if (this.statusDirty && this.parentTs) {
      this.statusDirty = false;
      // While it runs, the parent carries an Abort button (the final update replaces it).
      const abort = this.deploymentId ? [abortButton(this.options.app, this.deploymentId)] : [];
      this.enqueue(() => this.rewriteParent(this.parentMessage(':arrows_counterclockwise:', esc(this.status), abort)));
    }
  }

  /** Final status, log and result; the parent's final update is retried by the outbox until Slack accepts it. */
  async finish(deployment: Deployment): Promise<void> {
    this.track(deployment.id);
    clearInterval(this.timer);
    this.logDirty = this.logDirty || (this.log.length > 0 && this.logTs !== undefined);
    this.flush();
    const ok = deployment.status === 'succeeded';
    const summary = ok ? successSummary(deployment, this.options.kind, this.options.rollbackTarget, this.switchedAt, this.resultNote) : await this.failureSummary(deployment);
    const final = this.parentMessage(STATUS_EMOJI[deployment.status], summary.text, summary.blocks);
    const threadLine = `${STATUS_EMOJI[deployment.status]} ${summary.text}`;
    this.enqueue(() => this.slack.post(this.options.channel, { text: threadLine }, this.parentTs));
    const tail = ok ? [] : this.containerLog(deployment);
    // When the block must be cut, its first lines stay (the app's start-up) besides the last (how it ended).
    const marker = tail.findIndex((line) => OMITTED.test(line));
    const keepHead = marker >= 0 ? marker + 1 : CONTAINER_HEAD_LINES;
    const title = marker >= 0 ? `First and last lines of the new container's log` : `Last ${tail.length} lines of the new container's log`;
    const tailBlocks = tail.length ? [section(`:page_facing_up: *${title}*\n${logTailBlock(tail, undefined, keepHead)}`)] : [];
    if (!ok) {
      if (tail.length) this.enqueue(() => this.slack.post(this.options.channel, { text: title, blocks: tailBlocks }, this.parentTs));
      const content = failureUpload(this.log.toArray(), this.log.dropped, tail);
      if (content) this.enqueue(() => this.slack.upload(this.options.channel, this.parentTs!, `deploy-${deployment.id}.log`, content, `Log of deploy #${deployment.id}`));
      this.enqueue(() => this.slack.post(this.options.channel, { text: `:rotating_light: ${summary.text}` }, this.parentTs, true));
    }
    this.enqueue(() => this.rewriteParent(final));
    await this.chain;
    this.resendIfInDoubt(final);
    // Through response_url the result carries what the thread would have shown: the container's own log.
    if (this.channelDown) await this.replies.send({ text: final.text, blocks: [...(final.blocks ?? []), ...tailBlocks] }, 'result');
  }

  /** A late copy of an unanswered intermediate update must not be the parent's last word: send the final once more. */
  private resendIfInDoubt(final: Message): void {
    const ts = this.parentTs;
    if (this.channelDown || !ts || !this.slack.updateInDoubt(this.options.channel, ts)) return;
    setTimeout(() => this.enqueue(() => this.rewriteParent(final)), this.options.finalResendMs ?? 30_000).unref();
  }

  /** The work broke after its thread opened: the parent says so (refusals before that get no thread). */
  async refused(error: unknown): Promise<void> {
    clearInterval(this.timer);
    const e = asDeckhandError(error);
    const message = this.parentMessage(':no_entry:', `${this.safe(e.message)} \`${e.code}\``);
    this.enqueue(() => this.rewriteParent(message));
    await this.chain;
    this.resendIfInDoubt(message);
    if (this.channelDown) await this.replies.send(message, 'result');
  }

  /** The new container's own last lines when the deploy got that far (else the log tail is the build's own). */
  private containerLog(deployment: Deployment): string[] {
    const tail = (deployment.logTail ?? []).map(this.redact);
    const repeatsBuild = this.log.endsWith(tail);
    return tail.length > 0 && (this.sawContainer || !repeatsBuild) ? tail : [];
  }

  /**
   * Updates the parent. Someone deleted it: the work goes on, so it is posted again in the channel, and the log and
   * health replies start again in its new thread (what follows goes there too). Not a channel problem.
   */
  private async rewriteParent(message: Message): Promise<void> {
    const ts = await this.slack.updateOrRepost(this.options.channel, this.parentTs!, message);
    if (ts === this.parentTs) return;
    this.parentTs = ts;
    // A reply still 'pending' is posted later, into the new thread. The others are 'pending' meanwhile: a log line or
    // health attempt arriving now marks its reply dirty instead of posting a second.
    const posted = (reply: string | undefined) => reply !== undefined && reply !== 'pending';
    const [hadLog, hadHealth] = [posted(this.logTs), posted(this.healthTs)];
    if (hadLog) this.logTs = 'pending';
    if (hadHealth) this.healthTs = 'pending';
    if (hadLog) this.logTs = await this.slack.post(this.options.channel, logMessage(this.log), ts);
    if (hadHealth) this.healthTs = await this.slack.post(this.options.channel, { text: this.healthText }, ts);
  }

  /** What failed, what still serves, and buttons for the next step. */
  private async failureSummary(d: Deployment): Promise<{ text: string; blocks: Block[] }> {
    const lookups = this.options.lookups;
    const serving = await lookups?.serving().catch(() => undefined);
    const rollbackTo = this.options.kind === 'deploy' ? await lookups?.previousTarget().catch(() => undefined) : undefined;
    const target = this.options.rollbackTarget ?? d.rollbackOf ?? undefined;
    return {
      text: failureSentence(d, this.options.kind, serving, this.safe, target),
      blocks: [nextStepButtons(d, this.options.kind, { rollbackTo, retryRef: this.options.ref, retryTarget: target })],
    };
  }

  private parentMessage(emoji: string, status: string, extra: Block[] = []): Message {
    return parentMessage(this.options.title, this.deploymentId, emoji, status, extra);
  }

  /** Lines written into and read from the log ring so far: a constant per line plus what each sent message showed. */
  get linesTouched(): number {
    return this.log.touched;
  }
}
