/**
 * Web links to a commit range on the forge that hosts an app's repository, derived from its git remote URL. Known
 * shapes: GitHub, GitLab (incl. subgroups) and Gitea/Forgejo, over https and over ssh (`ssh://git@host/o/r.git` or
 * the scp-like `git@host:o/r.git`). Credentials in the URL never reach the link; an unknown host gives no link.
 */

export type ForgeKind = 'github' | 'gitlab' | 'gitea';

export interface ForgeRepo {
  kind: ForgeKind;
  /** `https://host[:port]/owner/repo`, no credentials, no `.git`. */
  web: string;
}

const SCP_LIKE = /^(?:[^@/\s]+@)?([A-Za-z0-9.-]+):(?!\/\/)([^\s]+)$/;

/** Host and repository path of a remote URL; undefined for local paths and anything unparseable. */
function hostAndPath(remote: string): { host: string; port: string; path: string } | undefined {
  const trimmed = remote.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return undefined;
    }
    if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(url.protocol)) return undefined;
    // An ssh port is not the web port; an https port is.
    const port = url.protocol === 'https:' || url.protocol === 'http:' ? url.port : '';
    return { host: url.hostname.toLowerCase(), port, path: decodeURIComponent(url.pathname) };
  }
  const scp = SCP_LIKE.exec(trimmed);
  if (scp && scp[1]!.includes('.')) return { host: scp[1]!.toLowerCase(), port: '', path: `/${scp[2]!}` };
  return undefined;
}

function kindOf(host: string): ForgeKind | undefined {
  if (host === 'github.com' || host.startsWith('github.')) return 'github';
  if (host === 'gitlab.com' || host.startsWith('gitlab.') || host.includes('.gitlab.')) return 'gitlab';
  if (host === 'codeberg.org' || host === 'gitea.com' || /(^|\.)(gitea|forgejo)\./.test(host)) return 'gitea';
  return undefined;
}

/** The forge repository a remote URL points at, or undefined when the host is not a known forge. */
export function forgeRepo(remote: string): ForgeRepo | undefined {
  const parsed = hostAndPath(remote);
  if (!parsed) return undefined;
  const kind = kindOf(parsed.host);
  if (!kind) return undefined;
  const segments = parsed.path.replace(/\.git\/?$/, '').replace(/\/+$/, '').split('/').filter(Boolean);
  // GitHub and Gitea are owner/repo; GitLab allows groups/subgroups/repo.
  if (segments.length < 2 || (kind !== 'gitlab' && segments.length !== 2)) return undefined;
  if (segments.some((s) => !/^[A-Za-z0-9._-]+$/.test(s) || s === '.' || s === '..')) return undefined;
  return { kind, web: `https://${parsed.host}${parsed.port ? `:${parsed.port}` : ''}/${segments.join('/')}` };
}

const SHA = /^[0-9a-f]{7,64}$/;

/** The page comparing `from` to `to` (commits in `to` not in `from`), or undefined. */
export function compareUrl(remote: string, from: string, to: string): string | undefined {
  const repo = forgeRepo(remote);
  if (!repo || !SHA.test(from) || !SHA.test(to)) return undefined;
  return repo.kind === 'gitlab' ? `${repo.web}/-/compare/${from}...${to}` : `${repo.web}/compare/${from}...${to}`;
}

/** The page of one commit, or undefined. */
export function commitUrl(remote: string, sha: string): string | undefined {
  const repo = forgeRepo(remote);
  if (!repo || !SHA.test(sha)) return undefined;
  return repo.kind === 'gitlab' ? `${repo.web}/-/commit/${sha}` : `${repo.web}/commit/${sha}`;
}
