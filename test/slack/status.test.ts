import { beforeAll, describe, expect, it } from 'vitest';
import { haveDocker, havePostgres } from '../helpers/infra.js';
import { useSlackHarness } from '../helpers/slack-harness.js';
import { postToBolt, slashCommand } from '../helpers/slack-requests.js';

const enabled = (await haveDocker()) && (await havePostgres());
const CHANNEL = 'C1STATUS';
const REASON = 'rolling back <!channel> & <@U123>';
const REASON_ESCAPED = 'rolling back &lt;!channel&gt; &amp; &lt;@U123&gt;';

describe.skipIf(!enabled)('/deckhand status through Bolt, with real Docker, git and Postgres', () => {
  const app = `f-status-slack-${process.pid}`;
  const h = useSlackHarness({ app, versions: [{ body: 's1' }, { body: 's2' }] });
  const ids: number[] = [];

  beforeAll(async () => {
    ids.push((await h.services.deploys.deploy({ app, ref: h.repo.commits[0]!, actor: 'cli:ops', trigger: 'cli' })).id);
    ids.push((await h.services.deploys.deploy({ app, ref: h.repo.commits[1]!, actor: 'U1ANA', trigger: 'slack' })).id);
  }, 120_000);

  const command = async (text: string, user = 'U2BOB') => {
    const before = h.slack.responses.length;
    const ack = await postToBolt(h.bot.url, slashCommand('/deckhand', text, user, CHANNEL));
    expect(ack.status).toBe(200);
    await h.bot.idle();
    return { ack: ack.json, replies: h.slack.responses.slice(before).map((r) => r.body) };
  };

  it('a lock is announced with a mention, the escaped reason and the way out', async () => {
    const { replies } = await command(`lock ${app} ${REASON}`);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ response_type: 'in_channel' });
    expect(replies[0].text).toContain(`*${app}* is locked by <@U2BOB> since <!date^`);
    expect(replies[0].text).toContain(`: '${REASON_ESCAPED}'`);
    expect(replies[0].text).toContain(`\`/deckhand unlock ${app}\``);
  });

  it('/deckhand status <app> answers the asker alone with what serves, its health now, the lock and the rollback window', async () => {
    const { ack, replies } = await command(`status ${app}`);
    expect(ack).toBeUndefined();
    expect(replies).toHaveLength(1);
    const reply = replies[0];
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe(`${app}: healthy, #${ids[1]} serving, locked`);
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain(`Status of ${app}`);
    expect(text).toContain(`*#${ids[1]}* \`${h.repo.commits[1]!.slice(0, 7)}\` release s2 · by <@U1ANA> · serving for `);
    expect(text).toMatch(/serving for [\d.]+ (ms|s|min), since <!date\^\d+\^\{date_short_pretty\} \{time\}\|/);
    expect(text).toContain(':large_green_circle: *healthy* · public port');
    expect(text).toContain('HTTP 200');
    expect(text).toContain(`container deckhand-${app}-${ids[1]} running`);
    expect(text).toContain(`locked by <@U2BOB>`);
    expect(text).toContain(REASON_ESCAPED);
    expect(text).toContain(`*Rollback window:* #${ids[1]} running; #${ids[0]} instant (image on host)`);
    expect(text).toContain('*In progress:* nothing');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U123>');
    expect(h.slack.violations).toEqual([]);
  });

  it('/deckhand status: one line per app', async () => {
    const { replies } = await command('status');
    expect(replies[0].text).toBe('1 app(s), all healthy');
    const sections = (replies[0].blocks as Array<{ type: string; text?: { text: string } }>).filter((b) => b.type === 'section');
    expect(sections).toHaveLength(1);
    expect(sections[0]!.text!.text).toMatch(new RegExp(`^\\*${app}\\* :large_green_circle: healthy · #${ids[1]} .* by <@U1ANA> since <!date\\^\\d+\\^\\{date_short_pretty\\} \\{time\\}\\|[^>]+> · :lock: locked by <@U2BOB>$`));
  });

  it('refusals are ephemeral, in the ack, and name the way out', async () => {
    expect((await command('status nope')).ack).toEqual({ response_type: 'ephemeral', text: `Unknown app \`nope\`. Known apps: \`${app}\`.` });
    expect((await command(`status ${app} extra`)).ack).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Usage: `/deckhand status [app]`') });
    const bogus = await command('<!here> web');
    expect(bogus.ack).toMatchObject({ response_type: 'ephemeral' });
    expect(bogus.ack.text).toContain('`&lt;!here&gt;` is not a deckhand command.');
    expect(bogus.ack.text).toContain('`/deckhand status [app]`');
  });

  it('pin and unpin say who and what retention will do, with the way back', async () => {
    const pinned = await command(`pin ${app} ${ids[0]}`);
    expect(pinned.replies[0]).toMatchObject({ response_type: 'in_channel', text: `:pushpin: <@U2BOB> pinned *${app}* #${ids[0]}: retention keeps its image until \`/deckhand unpin ${app} ${ids[0]}\`.` });
    expect((await command(`unpin ${app} ${ids[0]}`)).replies[0].text).toBe(`<@U2BOB> unpinned *${app}* #${ids[0]}: retention may prune its image again.`);
    expect((await command(`unpin ${app} ${ids[0]}`)).replies[0]).toEqual({ response_type: 'ephemeral', text: `*${app}* #${ids[0]} was not pinned; nothing changed.` });
  });

  it('/deckhand help lists status next to every other command', async () => {
    const { ack } = await command('help');
    expect(ack.response_type).toBe('ephemeral');
    for (const c of ['/deploy ', '/deploys ', '/rollback ', '/deckhand status', '/deckhand lock', '/deckhand prune', '/deckhand pin', 'deckhand recover']) expect(ack.text).toContain(c);
  });

  it('unlock names who had locked it, and the status says so', async () => {
    const { replies } = await command(`unlock ${app}`, 'U1ANA');
    expect(replies[0].text).toContain(`<@U1ANA> unlocked *${app}* (was: ${REASON_ESCAPED}). It was locked by <@U2BOB> <!date^`);
    const status = await command(`status ${app}`);
    expect(JSON.stringify(status.replies[0].blocks)).toContain('*Lock:* not locked');
    expect(h.slack.violations).toEqual([]);
  });
});
