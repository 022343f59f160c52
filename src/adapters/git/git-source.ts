import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec } from '../../domain/apps.js';
import { DeckhandError } from '../../domain/errors.js';
import { mirrorDiskFull } from './git-disk.js';
import type { CommitComparison, CommitFetch, CommitSummary, SourceRepo } from '../../domain/ports.js';
import { validateGitRef } from '../../domain/refs/git-ref.js';
import { type CommitStatus, commitsStatusIn } from './commit-status.js';
import { archiveStream } from './git-archive.js';
import { type GitRun, gitEnv, gitLines, gitText } from './git-process.js';
import { MirrorLock } from './mirror-lock.js';
import { ReadMemo } from './read-memo.js';
import { fileState, refsState } from './refs-state.js';

/** A status git could not fully give (what it said is kept, not remembered). */
class IncompleteStatus extends Error {
  constructor(readonly statuses: Map<string, CommitStatus>) {
    super('incomplete commit status');
  }
}

function gitUrl(app: AppSpec): string {
  if (app.source.kind !== 'git') throw new DeckhandError('invalid_argument', `App ${app.name} has no git source.`);
  return app.source.url;
}

/** Never let a URL's credentials reach a message: https://user:token@host -> https://***@host */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/)[^/@\s]+@/g, '$1***@');
}

/**
 * What git itself said, in one line and redacted: its `fatal:`/`error:` lines (not the "Cloning into ..." chatter
 * that comes first), else its last line.
 */
export function gitMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  const fatal = lines.filter((line) => /^(fatal|error):/i.test(line));
  return redactUrl((fatal.length > 0 ? fatal.join(' ') : (lines.at(-1) ?? text)).slice(0, 500));
}

const FULL_SHA = /^[0-9a-f]{40,64}$/;
/** One commit per record: sha, author name and subject separated by unit separators, records by record separators. */
const LOG_FORMAT = '%H%x1f%an%x1f%s%x1e';

function parseLog(output: string): CommitSummary[] {
  return output
    .split('\x1e')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [sha = '', author = '', subject = ''] = record.split('\x1f');
      return { sha, author, subject };
    });
}

/** rev-parse's ways of saying "no such ref" (as opposed to a broken mirror or a missing git). */
const UNKNOWN_REF = /Needed a single revision|unknown revision|bad revision|not a valid object name|ambiguous argument/i;

/**
 * A bare mirror per app under `<dataDir>/mirrors`, fetched before each resolve. Git runs as argv arrays (no shell)
 * in an allow-listed environment, each process awaited only until it is gone (git-process.ts). Per mirror
 * in-process, reads run side by side and what changes the mirror (clone, fetch) runs alone (MirrorLock); answers
 * fixed by full SHAs are remembered (ReadMemo).
 */
export class GitSource implements SourceRepo {
  private readonly lock = new MirrorLock();
  private readonly memo = new ReadMemo();
  /** Per mirror: its config file's state and the origin URL it held then (remoteIs). */
  private readonly remotes = new Map<string, string>();

  constructor(
    private readonly dataDir: string,
    private readonly timeoutMs = 120_000,
  ) {}

  /** Where every app's mirror lives (and what a full disk there is named by). */
  private get mirrorsDir(): string {
    return join(this.dataDir, 'mirrors');
  }

  mirrorPath(app: AppSpec): string {
    return join(this.mirrorsDir, `${app.name}.git`);
  }

  /** Reads and local changes: a deadline from git's start. The network (clone, fetch): from its last output. */
  private run(dir: string | undefined, network = false): GitRun {
    return { cwd: dir, env: gitEnv(), timeoutMs: this.timeoutMs, idle: network };
  }

  private git(dir: string, args: string[]): Promise<string> {
    return gitText(this.run(dir), args);
  }

  /** A read of the mirror's objects that full SHAs fix for good: asked of git once, beside other reads. */
  private fixedRead<T>(app: AppSpec, what: string, read: () => Promise<T>, fixed = true): Promise<T> {
    const dir = this.mirrorPath(app);
    // Each caller gets its own copy: one that sorts or trims its answer never changes the next caller's.
    return fixed ? this.memo.get(`${dir}\0${what}`, () => this.lock.shared(dir, read)).then((answer) => structuredClone(answer)) : this.lock.shared(dir, read);
  }

  /** Clones the mirror if needed, else fetches; keeps the remote URL in step with the config. */
  async sync(app: AppSpec): Promise<string> {
    const url = gitUrl(app);
    const dir = this.mirrorPath(app);
    try {
      if (!existsSync(join(dir, 'HEAD'))) {
        mkdirSync(this.mirrorsDir, { recursive: true });
        await gitText(this.run(undefined, true), ['clone', '--mirror', '--', url, dir]);
      } else {
        await this.remoteIs(dir, url);
        await gitText(this.run(dir, true), ['fetch', '--prune', '--force', 'origin']);
      }
    } catch (error) {
      throw mirrorDiskFull(error, this.mirrorsDir) ?? new DeckhandError('source_unavailable', `Cannot fetch ${redactUrl(url)}: ${gitMessage(error)}`, { app: app.name }, { cause: error });
    }
    return dir;
  }

  /**
   * Points the mirror's origin at `url` (the apps file may have changed it). Asked of git once per mirror config:
   * while the config file is the one this process last read or wrote, its origin is what it was then.
   */
  private async remoteIs(dir: string, url: string): Promise<void> {
    const config = join(dir, 'config');
    if (this.remotes.get(dir) === `${fileState(config)}\0${url}`) return;
    const remote = (await this.git(dir, ['remote', 'get-url', 'origin'])).trim();
    if (remote !== url) await this.git(dir, ['remote', 'set-url', 'origin', '--', url]);
    const state = fileState(config);
    if (state) this.remotes.set(dir, `${state}\0${url}`);
  }

  resolve(app: AppSpec, ref: string): Promise<{ sha: string; subject: string }> {
    validateGitRef(ref);
    return this.lock.exclusive(this.mirrorPath(app), async () => {
      const dir = await this.sync(app);
      let sha: string;
      try {
        sha = (await this.git(dir, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`])).trim();
      } catch (error) {
        if (!UNKNOWN_REF.test(String((error as Error).message))) throw this.failed(app, 'resolve', ref, error);
        throw new DeckhandError('ref_not_found', `No branch, tag or commit named "${ref}" in ${redactUrl(gitUrl(app))}.`, { app: app.name, ref });
      }
      const subject = (await this.git(dir, ['log', '-1', '--format=%s', sha, '--']).catch((error: unknown) => Promise.reject(this.failed(app, 'read', sha, error)))).trim();
      return { sha, subject };
    });
  }

  async isStrictAncestor(app: AppSpec, ancestor: string, descendant: string): Promise<boolean> {
    if (ancestor === descendant) return false;
    return this.lock.shared(this.mirrorPath(app), async () => {
      try {
        const base = (await this.git(this.mirrorPath(app), ['merge-base', ancestor, descendant])).trim();
        return base === ancestor;
      } catch {
        return false; // unrelated histories or a commit no longer present: not an ancestor
      }
    });
  }

  async commitStatus(app: AppSpec, sha: string, options: { fetch?: CommitFetch } = {}): Promise<{ present: boolean; reachable: boolean }> {
    return (await this.commitsStatus(app, [sha], options)).get(sha)!;
  }

  /**
   * At most one fetch (per `fetch`), then two git processes for all the commits (see commitsStatusIn), not one or two
   * per commit. What the mirror can answer alone is read beside other reads; a fetch runs alone.
   */
  async commitsStatus(app: AppSpec, shas: string[], options: { fetch?: CommitFetch } = {}): Promise<Map<string, { present: boolean; reachable: boolean }>> {
    const dir = this.mirrorPath(app);
    const absent = () => new Map(shas.map((sha) => [sha, { present: false, reachable: false }]));
    if (options.fetch === 'never' || options.fetch === 'if-missing') {
      const known = await this.lock.shared(dir, async () => (existsSync(join(dir, 'HEAD')) ? this.statusOf(dir, shas) : undefined));
      if (options.fetch === 'never') return known ?? absent();
      // The mirror answers alone when it holds every commit asked about: no network on a rollback that needs none.
      if (known && [...known.values()].every((status) => status.present)) return known;
    }
    return this.lock.exclusive(dir, async () => {
      const mirrored = existsSync(join(dir, 'HEAD'));
      try {
        await this.sync(app);
      } catch {
        // Cannot reach the remote: say what the mirror knows, and that the remote could not confirm it.
        if (!mirrored) return absent();
      }
      return this.statusOf(dir, shas);
    });
  }

  /**
   * Remembered while the mirror's refs stay as they were (refsState): the bot's plans of the same rollback ask git
   * again only after a fetch. A status git could not fully give is never remembered.
   */
  private async statusOf(dir: string, shas: string[]): Promise<Map<string, { present: boolean; reachable: boolean }>> {
    const read = () => commitsStatusIn(this.run(dir), shas);
    const state = refsState(dir);
    if (state === undefined) return (await read()).statuses;
    const key = `${dir}\0status ${state} ${[...new Set(shas)].sort().join(' ')}`;
    const answer = await this.memo.get(key, async () => {
      const status = await read();
      if (!status.complete) throw new IncompleteStatus(status.statuses);
      return status.statuses;
    }).catch((error: unknown) => {
      if (error instanceof IncompleteStatus) return error.statuses;
      throw error;
    });
    return structuredClone(answer);
  }

  async changedPaths(app: AppSpec, from: string, to: string, paths: string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    const fixed = FULL_SHA.test(from) && FULL_SHA.test(to);
    return this.fixedRead(app, `diff ${from} ${to} ${paths.join('\0')}`, async () => {
      const output = await this
        .git(this.mirrorPath(app), ['diff', '--name-only', '--diff-filter=AMR', '--no-renames', from, to, '--', ...paths.map((p) => `:(top)${p}`)])
        .catch((error: unknown) => Promise.reject(this.failed(app, 'diff', `${from.slice(0, 7)}..${to.slice(0, 7)}`, error)));
      return output.split('\n').map((line) => line.trim()).filter(Boolean).sort();
    }, fixed);
  }

  async commitSummary(app: AppSpec, sha: string): Promise<CommitSummary> {
    if (!FULL_SHA.test(sha)) throw new DeckhandError('invalid_ref', `Not a full commit SHA: ${sha}`);
    return this.fixedRead(app, `summary ${sha}`, async () => {
      const output = await this
        .git(this.mirrorPath(app), ['log', '-1', `--format=${LOG_FORMAT}`, sha, '--'])
        .catch((error: unknown) => Promise.reject(this.failed(app, 'read', sha.slice(0, 7), error)));
      const [commit] = parseLog(output);
      if (!commit) throw this.failed(app, 'read', sha.slice(0, 7), 'no such commit');
      return commit;
    });
  }

  /**
   * One walk of the symmetric difference (`git log --left-right --boundary from...to`): each side's commits marked,
   * and both commits themselves (each is a side's tip or a boundary). The list is read line by line: only `limit`
   * commits of each side are kept, the rest counted.
   */
  async compareCommits(app: AppSpec, from: string, to: string, limit: number): Promise<CommitComparison> {
    if (!FULL_SHA.test(from) || !FULL_SHA.test(to)) throw new DeckhandError('invalid_ref', 'Commits can only be compared between full commit SHAs.');
    const keep = Math.max(0, Math.floor(limit));
    const walk = await this.fixedRead(app, `compare ${from} ${to} ${keep}`, async () => {
      const ahead = { commits: [] as CommitSummary[], total: 0 };
      const behind = { commits: [] as CommitSummary[], total: 0 };
      const ends: CommitSummary[] = [];
      const args = ['log', '--left-right', '--boundary', `--format=%m${LOG_FORMAT}`, `${from}...${to}`, '--'];
      await gitLines(this.run(this.mirrorPath(app)), args, undefined, (line) => {
        const [commit] = parseLog(line.slice(1));
        if (!commit) return;
        if (commit.sha === from || commit.sha === to) ends.push(commit);
        if (line[0] !== '<' && line[0] !== '>') return; // a boundary (`-`): on neither side
        const side = line[0] === '>' ? ahead : behind;
        side.total += 1;
        if (side.commits.length < keep) side.commits.push(commit);
      }).catch((error: unknown) => Promise.reject(this.failed(app, 'compare', `${from.slice(0, 7)}...${to.slice(0, 7)}`, error)));
      return { ahead, behind, ends };
    });
    // An end the walk did not show is read on its own, after the walk let go of the mirror (a read asked while holding
    // it would wait behind a fetch that waits for this one).
    const end = (sha: string) => walk.ends.find((commit) => commit.sha === sha) ?? this.commitSummary(app, sha);
    const [fromCommit, toCommit] = await Promise.all([end(from), end(to)]);
    return { from: fromCommit, to: toCommit, ahead: walk.ahead, behind: walk.behind };
  }

  private failed(app: AppSpec, what: string, subject: string, error: unknown): DeckhandError {
    const full = mirrorDiskFull(error, this.mirrorsDir);
    if (full) return full;
    return new DeckhandError('source_unavailable', `git could not ${what} ${subject} in the mirror of ${redactUrl(gitUrl(app))}: ${gitMessage(error)}`, { app: app.name }, { cause: error });
  }

  /** `git archive` of the commit, streamed into the Docker build (git-archive.ts). */
  async archive(app: AppSpec, sha: string): Promise<NodeJS.ReadableStream> {
    if (!FULL_SHA.test(sha)) throw new DeckhandError('invalid_ref', `Not a full commit SHA: ${sha}`);
    return archiveStream(this.run(this.mirrorPath(app)), sha, (error) => this.failed(app, 'archive', sha.slice(0, 7), error));
  }
}
