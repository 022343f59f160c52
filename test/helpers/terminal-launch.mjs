// Runs node with the JSON argv in $DECKHAND_TEST_ARGV, on this process's terminal (see terminal.ts).
import { spawnSync } from 'node:child_process';

const result = spawnSync(process.execPath, JSON.parse(process.env.DECKHAND_TEST_ARGV), { stdio: 'inherit' });
process.exit(result.status ?? 1);
