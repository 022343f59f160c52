import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * A `git` first on PATH that logs every invocation (its argv, one line each) and runs the real git. While `hold()` is
 * on, `git cat-file` waits (up to 20 s) until `release()`: a test can act while a scan is inside its git query.
 */
export interface GitSpy {
  /** Invocations so far, each as its argv joined by spaces. */
  calls(): string[];
  hold(): void;
  release(): void;
  /** True once a held `cat-file` is waiting. */
  waiting(): boolean;
  restore(): void;
}

export function installGitSpy(): GitSpy {
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-gitspy-'));
  const log = join(dir, 'calls.log');
  const holdFile = join(dir, 'hold');
  const openFile = join(dir, 'open');
  const waitingFile = join(dir, 'waiting');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'git'),
    `#!/bin/sh
echo "$*" >> '${log}'
if [ "$1" = "cat-file" ] && [ -e '${holdFile}' ]; then
  : > '${waitingFile}'
  i=0
  while [ ! -e '${openFile}' ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
fi
exec '${realGit}' "$@"
`,
  );
  chmodSync(join(dir, 'git'), 0o755);
  const before = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${before ?? ''}`;
  return {
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    hold: () => {
      rmSync(openFile, { force: true });
      rmSync(waitingFile, { force: true });
      writeFileSync(holdFile, '');
    },
    release: () => {
      writeFileSync(openFile, '');
      rmSync(holdFile, { force: true });
    },
    waiting: () => existsSync(waitingFile),
    restore: () => {
      process.env.PATH = before;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
