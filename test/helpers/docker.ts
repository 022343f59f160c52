import Docker from 'dockerode';
import { stepImageRemoved } from '../../src/adapters/docker/build-steps.js';
import { dockerSocket } from './infra.js';

export const docker = () => new Docker({ socketPath: dockerSocket });

/** Removes every container and image deckhand made for these apps. */
export async function removeAppArtifacts(apps: string[]): Promise<void> {
  const engine = docker();
  for (const app of apps) {
    const containers = await engine.listContainers({ all: true, filters: { label: [`deckhand.app=${app}`] } });
    await Promise.all(containers.map((c) => engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    const images = await engine.listImages({ filters: { label: [`deckhand.app=${app}`] } });
    for (const image of images) await engine.getImage(image.Id).remove({ force: true }).catch(() => undefined);
  }
}

/** Builds `tag` from a commit of a test repository (git archive -> Docker build), labelled for cleanup (and `labels`). */
export async function buildImageFromRepo(repoDir: string, commit: string, tag: string, app: string, labels: Record<string, string> = {}): Promise<string> {
  try {
    return await buildOnce(repoDir, commit, tag, app, labels);
  } catch (error) {
    // Suites run side by side on one engine: another one's cleanup may remove a step image this build took from the
    // cache. Built once more, as deckhand's own build step does (test/faults/build-step-image-removed.test.ts).
    if (!stepImageRemoved((error as Error).message)) throw error;
    return buildOnce(repoDir, commit, tag, app, labels);
  }
}

async function buildOnce(repoDir: string, commit: string, tag: string, app: string, labels: Record<string, string>): Promise<string> {
  const { spawn } = await import('node:child_process');
  const child = spawn('git', ['archive', '--format=tar', commit], { cwd: repoDir, stdio: ['ignore', 'pipe', 'inherit'] });
  const engine = docker();
  const stream = await engine.buildImage(child.stdout, { t: tag, labels: { 'deckhand.app': app, ...labels } });
  await new Promise<void>((resolve, reject) => engine.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
    const failed = error ?? output.find((m) => m.error);
    if (failed) reject(new Error(String((failed as { error?: string }).error ?? failed)));
    else resolve();
  }));
  return (await engine.getImage(tag).inspect()).Id;
}

/** Removes an image from the engine with every container made from it: as a prune would leave things. */
export async function removeImageAndContainers(imageId: string): Promise<void> {
  const engine = docker();
  const containers = await engine.listContainers({ all: true, filters: { ancestor: [imageId] } });
  for (const c of containers) await engine.getContainer(c.Id).remove({ force: true });
  await engine.getImage(imageId).remove({ force: true });
}
