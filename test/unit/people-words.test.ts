import { describe, expect, it } from 'vitest';
import { lockRefusal, slackAgo, slackDate, took, who } from '../../src/adapters/slack/blocks/common.js';
import { errorText } from '../../src/adapters/slack/handler-kit.js';
import { formatDuration } from '../../src/domain/duration.js';
import { DeckhandError } from '../../src/domain/errors.js';

describe("people's time, names and durations", () => {
  it('durations read as words, up to hours and days', () => {
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(180_000)).toBe('3 min');
    expect(formatDuration(3_900_000)).toBe('1 h 5 min');
    expect(formatDuration(7_200_000)).toBe('2 h');
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000)).toBe('2 d 3 h');
    expect(formatDuration(59_960)).toBe('1 min');
    expect(took(new Date(0), new Date(4200))).toBe('4.2 s');
    expect(took(null, new Date())).toBe('-');
  });

  it("times are Slack date tokens each reader sees in local time, with a UTC fallback", () => {
    const at = new Date('2026-12-05T00:45:10Z');
    expect(slackDate(at)).toBe('<!date^1796431510^{date_short_pretty} {time}|2026-12-05 00:45 UTC>');
    expect(slackAgo(at)).toBe('<!date^1796431510^{ago}|2026-12-05 00:45 UTC>');
  });

  it('Slack users become mentions; CLI and deckhand actors stay escaped text that notifies nobody', () => {
    expect(who('U1ANA')).toBe('<@U1ANA>');
    expect(who('W0ENTERPRISE')).toBe('<@W0ENTERPRISE>');
    expect(who('cli:ana')).toBe('cli:ana');
    expect(who('deckhand:schedule')).toBe('deckhand:schedule');
    expect(who('cli:<!channel>')).toBe('cli:&lt;!channel&gt;');
  });

  it('a lock refusal names who locked, why, and the way out', () => {
    const error = new DeckhandError('app_locked', 'web is locked by U1ANA since 2026-12-05T00:00:00.000Z: rolling back bad migration. Unlock it, or deploy with --force.', { app: 'web', lockedBy: 'U1ANA', reason: 'rolling back bad migration' });
    const expected = ":no_entry: *web* is locked by <@U1ANA>: 'rolling back bad migration' — `/deckhand unlock web` when ready (`app_locked`)";
    expect(lockRefusal(error)).toBe(expected);
    expect(errorText(error)).toBe(expected);
    expect(lockRefusal(new DeckhandError('app_locked', 'x', { app: 'web', lockedBy: 'cli:ops', reason: '<!here> wait' }))).toContain("locked by cli:ops: '&lt;!here&gt; wait'");
    expect(lockRefusal(new DeckhandError('deploy_in_progress', 'busy'))).toBeUndefined();
  });
});
