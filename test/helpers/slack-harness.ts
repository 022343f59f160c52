import { afterAll, beforeAll } from 'vitest';
import type { SlackSettings } from '../../src/adapters/slack/app.js';
import type { AppSpec } from '../../src/domain/apps.js';
import type { Clock } from '../../src/domain/clock.js';
import { removeAppArtifacts } from './docker.js';
import { type TestRepo, type Version, createTestRepo } from './git-repo.js';
import { freePort } from './ports.js';
import { startBot } from './slack-bot.js';
import { type SlackMock, createSlackMock } from './slack-mock.js';
import { type TestServices, createTestServices, gitApp } from './services.js';

export interface SlackHarness {
  repo: TestRepo;
  slack: SlackMock;
  services: TestServices;
  bot: Awaited<ReturnType<typeof startBot>>;
  port: number;
}

/**
 * One app from a real git repository, real services, the real Bolt app on 127.0.0.1 and the Slack Web API under
 * msw: set up before the suite's tests, torn down after. Fields are filled in beforeAll.
 */
export function useSlackHarness(options: {
  app: string;
  versions: Version[];
  spec?: (base: AppSpec) => AppSpec;
  groups?: Record<string, string[]>;
  clock?: Clock;
  env?: Record<string, string>;
  bot?: Partial<SlackSettings>;
}): SlackHarness {
  const h = {} as SlackHarness;
  beforeAll(async () => {
    h.repo = createTestRepo(options.versions);
    h.slack = createSlackMock({ groups: options.groups });
    h.slack.server.listen({ onUnhandledRequest: 'bypass' });
    h.port = await freePort();
    const base = gitApp(options.app, h.repo.url, h.port);
    h.services = await createTestServices({ apps: [options.spec ? options.spec(base) : base], clock: options.clock, env: options.env });
    h.bot = await startBot(h.services, { streamIntervalMs: 300, clock: options.clock, ...options.bot });
  });
  afterAll(async () => {
    await h.bot?.stop();
    await removeAppArtifacts([options.app]);
    await h.services?.dispose();
    h.slack?.server.close();
    h.repo?.cleanup();
  });
  return h;
}
