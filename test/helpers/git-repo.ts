import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

/** A `FROM scratch` image serving ./www with busybox httpd on 127.0.0.1:$PORT, logging its start. */
export const APP_DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY www /www
COPY start.sh /start.sh
CMD ["/bin/busybox", "sh", "/start.sh"]
`;

/**
 * Files for a version that also serves /cgi-bin/slow.cgi: it answers `answer` after `seconds` (a request still in
 * flight when traffic moves). Its start.sh makes the script executable, then serves as every version does.
 */
export function slowCgiFiles(seconds: number, answer: string): Record<string, string> {
  return {
    'www/cgi-bin/slow.cgi': `#!/bin/busybox sh\n/bin/busybox sleep ${seconds}\necho "Content-Type: text/plain"\necho\necho ${answer}\n`,
    'start.sh': ['/bin/busybox chmod +x /www/cgi-bin/slow.cgi', 'exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www'].join('\n') + '\n',
  };
}

export interface Version {
  /** Text served at / */
  body: string;
  /** Serve /healthz (2xx) or not (404). */
  healthy?: boolean;
  /** Extra files, path -> content (e.g. migrations). */
  files?: Record<string, string>;
}

export interface TestRepo {
  dir: string;
  url: string;
  commits: string[];
  commit(version: Version, message?: string): string;
  cleanup(): void;
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.invalid' },
  }).trim();

/** A real git repository on disk with one commit per version; reachable at a file:// URL. */
export function createTestRepo(versions: Version[]): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-repo-'));
  git(dir, 'init', '-q', '-b', 'main');
  copyFileSync(BUSYBOX, join(dir, 'busybox'));
  writeFileSync(join(dir, 'Dockerfile'), APP_DOCKERFILE);
  const repo: TestRepo = {
    dir,
    url: `file://${dir}`,
    commits: [],
    commit(version, message) {
      rmSync(join(dir, 'www'), { recursive: true, force: true });
      mkdirSync(join(dir, 'www'));
      writeFileSync(join(dir, 'www', 'index.html'), version.body);
      if (version.healthy !== false) writeFileSync(join(dir, 'www', 'healthz'), 'ok');
      writeFileSync(join(dir, 'start.sh'), `echo "starting ${version.body} on port $PORT"\necho "using token $API_TOKEN"\nexec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www\n`);
      for (const [path, content] of Object.entries(version.files ?? {})) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '-m', message ?? `release ${version.body}`);
      const sha = git(dir, 'rev-parse', 'HEAD');
      repo.commits.push(sha);
      return sha;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const version of versions) repo.commit(version);
  return repo;
}
