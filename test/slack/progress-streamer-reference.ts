import { momentsText } from '../../src/domain/deploy/moments.js';
/**
 * The progress streamer as it was before issue 12 (an array log that `shift()`s past its cap: O(log size) per line),
 * copied unchanged as a test oracle: the ring-buffer streamer must send Slack exactly the same texts.
 */
import type { DeployEvent, Phase } from '../../src/domain/deploy/events.js';
import type { Deployment } from '../../src/domain/deployment.js';
import { formatDuration } from '../../src/domain/duration.js';
import { asDeckhandError } from '../../src/domain/errors.js';
import { shortSha } from '../../src/domain/refs/git-ref.js';
import { type Block, STATUS_EMOJI, context, esc, section } from '../../src/adapters/slack/blocks/common.js';
import { logTailBlock } from '../../src/adapters/slack/blocks/limits.js';
import { channelProblem } from '../../src/adapters/slack/channel-problem.js';
import { ResponseUrlReplies } from '../../src/adapters/slack/response-url.js';
import { failureSentence, failureUpload, nextStepButtons } from '../../src/adapters/slack/failure-story.js';
import { abortButton } from '../../src/adapters/slack/blocks/abort.js';
import type { StreamOptions } from '../../src/adapters/slack/progress-stream-options.js';
import type { Message, SlackGateway } from '../../src/adapters/slack/slack-gateway.js';

// The options as the streamer takes them (the oracle ignores finalResendMs: it never re-sends).
export type { StreamOptions };

const PHASE_EMOJI: Partial<Record<Phase, string>> = {
  artifact: ':package:',
  build: ':hammer_and_wrench:',
  start: ':rocket:',
  health: ':stethoscope:',
  switch: ':twisted_rightwards_arrows:',
  watch: ':eyes:',
  cleanup: ':broom:',
};

/**
 * One deployment's progress in a Slack thread: a parent message whose status block is updated, a reply per phase,
 * the build-log tail coalesced into one reply, health attempts in one reply, and the result. It follows only the
 * deployment it is given (`track`): events of any other deployment are ignored. Nothing here is awaited by the
 * deploy: every Slack call goes through the gateway's outbox, in order, after the parent lands. When the channel
 * refuses, the person hears it through `respond`, with the fix, the progress and the result.
 */
export class ReferenceProgressStreamer {
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
  private opened = false;
  private adoptFirst = false;
  private sawContainer = false;
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
      // While it runs, the parent carries an Abort button (the final update replaces it).
      const abort = this.deploymentId ? [abortButton(this.options.app, this.deploymentId)] : [];
      this.enqueue(() => this.slack.update(this.options.channel, ts, this.parentMessage(':arrows_counterclockwise:', esc(this.status), abort)));
    }
  }

  /** Final status, log and result; the parent's final update is retried by the outbox until Slack accepts it. */
  async finish(deployment: Deployment): Promise<void> {
    this.track(deployment.id);
    clearInterval(this.timer);
    this.logDirty = this.logDirty || (this.log.length > 0 && this.logTs !== undefined);
    this.flush();
    const ok = deployment.status === 'succeeded';
    const summary = ok ? this.successSummary(deployment) : await this.failureSummary(deployment);
    const final = this.parentMessage(STATUS_EMOJI[deployment.status], summary.text, summary.blocks);
    const threadLine = `${STATUS_EMOJI[deployment.status]} ${summary.text}`;
    this.enqueue(() => this.slack.post(this.options.channel, { text: threadLine }, this.parentTs));
    const tail = ok ? [] : this.containerLog(deployment);
    // Since the oracle was taken, a container log cut to fit keeps its first 3 lines too (health probes every 25 ms fill
    // an access log and pushed the app's start-up out of the block): the same rule here.
    const tailBlocks = tail.length ? [section(`:page_facing_up: *Last ${tail.length} lines of the new container's log*\n${logTailBlock(tail, undefined, 3)}`)] : [];
    if (!ok) {
      if (tail.length) this.enqueue(() => this.slack.post(this.options.channel, { text: `Last ${tail.length} lines of the new container's log`, blocks: tailBlocks }, this.parentTs));
      const content = failureUpload(this.log, this.logDropped, tail);
      if (content) this.enqueue(() => this.slack.upload(this.options.channel, this.parentTs!, `deploy-${deployment.id}.log`, content, `Log of deploy #${deployment.id}`));
      this.enqueue(() => this.slack.post(this.options.channel, { text: `:rotating_light: ${summary.text}` }, this.parentTs, true));
    }
    this.enqueue(() => this.slack.update(this.options.channel, this.parentTs!, final));
    await this.chain;
    // Through response_url the result carries what the thread would have shown: the container's own log.
    if (this.channelDown) await this.replies.send({ text: final.text, blocks: [...(final.blocks ?? []), ...tailBlocks] }, 'result');
  }

  /** The work broke after its thread opened: the parent says so (refusals before that get no thread). */
  async refused(error: unknown): Promise<void> {
    clearInterval(this.timer);
    const e = asDeckhandError(error);
    const message = this.parentMessage(':no_entry:', `${this.safe(e.message)} \`${e.code}\``);
    this.enqueue(() => this.slack.update(this.options.channel, this.parentTs!, message));
    await this.chain;
    if (this.channelDown) await this.replies.send(message, 'result');
  }

  /** The new container's own last lines when the deploy got that far (else the log tail is the build's own). */
  private containerLog(deployment: Deployment): string[] {
    const tail = (deployment.logTail ?? []).map(this.redact);
    const repeatsBuild = tail.length <= this.log.length && tail.every((line, i) => line === this.log[this.log.length - tail.length + i]);
    return tail.length > 0 && (this.sawContainer || !repeatsBuild) ? tail : [];
  }

  // Since the oracle was taken, the result also says both moments (issue 12): the same text is added here.
  private switchedAt: Date | undefined;

  private successSummary(d: Deployment): { text: string; blocks?: Block[] } {
    const took = d.startedAt && d.finishedAt ? formatDuration(d.finishedAt.getTime() - d.startedAt.getTime()) : '?';
    const both = momentsText(d, this.switchedAt);
    if (this.options.kind === 'rollback') return { text: `${esc(d.app)} rolled back to #${this.options.rollbackTarget ?? d.rollbackOf} in ${took} (as #${d.id}, ${d.rollbackSource}): ${both}` };
    return { text: `Deployed ${esc(d.app)} #${d.id} (${d.commitSha ? `\`${shortSha(d.commitSha)}\`` : esc(d.imageRef ?? '')}) in ${took}: ${both}` };
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

  /** `title` and `status` are mrkdwn: every piece of user or app text in them was escaped when they were built. */
  private parentMessage(emoji: string, status: string, extra: Block[] = []): Message {
    return {
      text: `${this.options.title}: ${status}`,
      blocks: [
        section(`*${this.options.title}*\n${emoji} ${status}`),
        context([this.deploymentId ? `Deploy #${this.deploymentId} · progress in the thread` : 'Progress in the thread']),
        ...extra,
      ],
    };
  }

  private logMessage(): Message {
    return { text: 'Build log', blocks: [section(`:scroll: *Build log* (${this.log.length + this.logDropped} lines)\n${logTailBlock(this.log.slice(-60))}`)] };
  }
}
