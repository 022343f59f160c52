import Docker from 'dockerode';
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
