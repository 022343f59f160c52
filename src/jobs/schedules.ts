import { type ScheduledTask, schedule } from 'node-cron';
import type { Services } from '../compose.js';
import { asDeckhandError } from '../domain/errors.js';
import { OWN_ACTOR } from '../domain/own-actors.js';
import type { Message } from '../adapters/slack/slack-gateway.js';
import { renderPruneFailure, renderPruneReport, renderRetentionSummary } from '../adapters/slack/blocks/prune-report.js';

/** Where reports go: a Slack channel through the paced gateway, or the log when no channel is configured. */
export type ReportSink = (message: Message) => Promise<void>;

export interface Jobs {
  /** The nightly prune, as the schedule runs it. Another replica's run in progress is not an error. */
  pruneNow(): Promise<void>;
  summaryNow(): Promise<void>;
  start(): void;
  stop(): void;
}

export function createJobs(services: Services, sink: ReportSink): Jobs {
  const { env } = services;
  const tasks: ScheduledTask[] = [];
  const pruneNow = async () => {
    try {
      const report = await services.prune.run({ dryRun: false, actor: OWN_ACTOR.schedule });
      await sink(renderPruneReport(report));
    } catch (error) {
      const e = asDeckhandError(error);
      if (e.code === 'prune_in_progress') return; // another replica runs it
      await sink(renderPruneFailure(e.code, e.message));
    }
  };
  const summaryNow = async () => {
    const apps = [];
    for (const name of services.apps.names()) {
      apps.push(await services.prune.preview(services.deploys.requireApp(name)));
    }
    await sink(renderRetentionSummary(apps));
  };
  return {
    pruneNow,
    summaryNow,
    start() {
      const options = { timezone: env.TZ, noOverlap: true };
      tasks.push(schedule(env.DECKHAND_PRUNE_CRON, pruneNow, { ...options, name: 'deckhand-prune' }));
      tasks.push(schedule(env.DECKHAND_SUMMARY_CRON, summaryNow, { ...options, name: 'deckhand-retention-summary' }));
    },
    stop() {
      for (const task of tasks.splice(0)) void task.destroy();
    },
  };
}
