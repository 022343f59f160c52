import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll } from 'vitest';
import { SlackGateway } from '../../src/adapters/slack/slack-gateway.js';
import { SLACK_API, type SlackMock, createSlackMock } from './slack-mock.js';

/** The Web API under msw and a gateway on it with no pacing, for suites that drive a streamer directly. */
export function useMockedGateway(): { slack: SlackMock; gateway: SlackGateway } {
  const h = {} as { slack: SlackMock; gateway: SlackGateway };
  beforeAll(() => {
    h.slack = createSlackMock();
    h.slack.server.listen({ onUnhandledRequest: 'bypass' });
    h.gateway = new SlackGateway(new WebClient('xoxb-test', { slackApiUrl: SLACK_API }), 0);
  });
  afterAll(() => h.slack.server.close());
  return h;
}
