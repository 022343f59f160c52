import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

describe('starting the bot', () => {
  it('without Slack credentials exits 1 saying exactly what to set and pointing to manifest.yml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deckhand-start-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, DECKHAND_DATA_DIR: dir, DECKHAND_PROXY: 'none' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('SLACK_BOT_TOKEN');
    expect(run.stderr).toContain('SLACK_SIGNING_SECRET');
    expect(run.stderr).toContain('SLACK_APP_TOKEN');
    expect(run.stderr).toContain('manifest.yml');
  });

  it('refuses a malformed token, naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { encoding: 'utf8', env: { PATH: process.env.PATH, SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: 's' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/config_invalid: Invalid environment:\n\s+SLACK_BOT_TOKEN: a bot token starts with xoxb-/);
  });
});

describe('manifest.yml', () => {
  const manifest = parse(readFileSync('manifest.yml', 'utf8'));

  it('declares the four slash commands, interactivity and the scopes deckhand needs, all pointing at /slack/events', () => {
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command).sort()).toEqual(['/deckhand', '/deploy', '/deploys', '/rollback']);
    for (const c of manifest.features.slash_commands) expect(c.url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity).toMatchObject({ is_enabled: true, request_url: expect.stringMatching(/\/slack\/events$/) });
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual(['chat:write', 'chat:write.public', 'commands', 'files:write', 'usergroups:read']);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.display_information.name).toBe('deckhand');
  });
});
