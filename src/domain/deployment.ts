export const DeploymentStatuses = [
  'queued',
  'building',
  'starting',
  'switching',
  /** Traffic moved; the watch window runs and the previous container still runs, ready to take traffic back. */
  'watching',
  'succeeded',
  'failed',
  'superseded',
  /** The watch window saw the new version fail and sent traffic back to the previous one. */
  'reverted',
  /** Aborted by a user; the previous version kept (or went back to) serving. */
  'cancelled',
] as const;
export type DeploymentStatus = (typeof DeploymentStatuses)[number];

export const TerminalStatuses: readonly DeploymentStatus[] = ['succeeded', 'failed', 'superseded', 'reverted', 'cancelled'];
/** Started and not finished: the app's lease holder is working on it (recovery closes it when that holder died). */
export const InFlightStatuses: readonly DeploymentStatus[] = ['building', 'starting', 'switching', 'watching'];
export const isTerminal = (status: DeploymentStatus) => TerminalStatuses.includes(status);

export type DeploymentSource = 'git' | 'image';
export type Trigger = 'cli' | 'slack' | 'rollback' | 'api';
export type RollbackSource = 'reuse_image' | 'pull_image' | 'rebuild_from_source';

export interface Deployment {
  id: number;
  app: string;
  status: DeploymentStatus;
  source: DeploymentSource;
  gitRef: string | null;
  commitSha: string | null;
  commitSubject: string | null;
  imageRef: string | null;
  imageId: string | null;
  containerId: string | null;
  upstreamPort: number | null;
  trigger: Trigger;
  actor: string;
  rollbackOf: number | null;
  rollbackSource: RollbackSource | null;
  registryRef: string | null;
  envSnapshot: EnvSnapshot | null;
  errorCode: string | null;
  error: string | null;
  /** The last lines of the build or container log, kept for failed deploys. */
  logTail: string[] | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface EnvSnapshot {
  salt: string;
  hashes: Record<string, string>;
}

export type NewDeployment = Pick<Deployment, 'app' | 'status' | 'source' | 'trigger' | 'actor'> &
  Partial<Pick<Deployment, 'gitRef' | 'commitSha' | 'commitSubject' | 'imageRef' | 'imageId' | 'rollbackOf' | 'rollbackSource' | 'startedAt' | 'registryRef'>>;

export type DeploymentPatch = Partial<Omit<Deployment, 'id' | 'app' | 'createdAt'>>;

/**
 * The previous successful deploy: the last one to succeed before `current` that runs a different image. Rollback's
 * default target and a deploy retention always keeps; one rule for both, so they cannot drift apart. Only `succeeded`
 * counts: a reverted or cancelled deploy never served for good and is never a target.
 */
export function previousSuccessful(deployments: Deployment[], current: Deployment | undefined): Deployment | undefined {
  return deployments
    .filter((d) => d.status === 'succeeded' && d.imageId && d.finishedAt && d.id !== current?.id && d.imageId !== current?.imageId && (!current?.finishedAt || d.finishedAt <= current.finishedAt))
    .sort((a, b) => b.finishedAt!.getTime() - a.finishedAt!.getTime() || b.id - a.id)[0];
}
