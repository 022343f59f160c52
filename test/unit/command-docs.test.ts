import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { HELP, SUBCOMMANDS } from '../../src/adapters/slack/commands/deckhand.js';
import { COMMAND_NAMES, USAGE } from '../../src/cli.js';

const manifest = parse(readFileSync('manifest.yml', 'utf8')) as { features: { slash_commands: Array<{ command: string; description: string; usage_hint: string }> } };

describe('every command is documented where people look', () => {
  it('/deckhand help names every slash command and every /deckhand subcommand, and points at the CLI', () => {
    for (const c of manifest.features.slash_commands) expect(HELP).toContain(`\`${c.command} `);
    for (const sub of SUBCOMMANDS) expect(HELP).toContain(`/deckhand ${sub}`);
    for (const cli of ['status', 'audit', 'recover']) expect(HELP).toContain(`deckhand ${cli}`);
  });

  it("the manifest's /deckhand description and usage hint name every subcommand, within Slack's lengths", () => {
    const deckhand = manifest.features.slash_commands.find((c) => c.command === '/deckhand')!;
    for (const sub of SUBCOMMANDS) {
      expect(deckhand.usage_hint).toContain(sub);
      expect(deckhand.description).toContain(sub);
    }
    for (const c of manifest.features.slash_commands) {
      expect(c.description.length).toBeLessThanOrEqual(100);
      expect(c.usage_hint.length).toBeLessThanOrEqual(1000);
    }
  });

  it('the CLI usage lists every command it runs, status, audit and recover included', () => {
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(['status', 'audit', 'recover']));
    for (const name of COMMAND_NAMES) expect(USAGE).toMatch(new RegExp(`^  ${name}( |$)`, 'm'));
  });
});
