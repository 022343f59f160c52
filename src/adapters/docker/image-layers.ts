import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { Layer } from '../../domain/retention/layers.js';
import { type DockerCalls, statusOf } from './docker-calls.js';

interface HistoryEntry {
  Size: number;
}

interface InspectInfo {
  Size: number;
  RootFS?: { Layers?: string[] };
}


function dial<T>(docker: Docker, path: string, abortSignal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    docker.modem.dial({ path, method: 'GET', options: {}, abortSignal, statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } }, (error: unknown, data: unknown) =>
      error ? reject(error) : resolve(data as T),
    ),
  );
}

/**
 * Pairs the image's layers (RootFS.Layers, bottom first) with their sizes from its history. History entries that
 * made no layer (CMD, ENV, ...) have size 0; a layer of size 0 frees nothing, so when a zero entry is ambiguous it
 * does not matter which of them is taken as the layer. Each layer is named by its chain (it and all below it), the
 * way Docker stores it. When the two lists cannot be paired, the whole image counts as one layer of its own.
 */
export function pairLayers(imageId: string, info: InspectInfo, newestFirst: HistoryEntry[]): Layer[] {
  const diffIds = info.RootFS?.Layers ?? [];
  const history = [...newestFirst].reverse();
  const sized = history.filter((h) => h.Size > 0).length;
  let zeroLayers = diffIds.length - sized;
  if (zeroLayers < 0 || diffIds.length === 0) return [{ id: `image:${imageId}`, sizeBytes: info.Size }];
  const sizes: number[] = [];
  for (const entry of history) {
    if (entry.Size > 0) sizes.push(entry.Size);
    else if (zeroLayers > 0) {
      sizes.push(0);
      zeroLayers -= 1;
    }
  }
  const chain = createHash('sha256');
  return diffIds.map((diffId, i) => {
    chain.update(`${diffId}\n`);
    return { id: `chain:${chain.copy().digest('hex')}`, sizeBytes: sizes[i] ?? 0 };
  });
}

/** The image's layers with their sizes, or undefined when the image is gone. */
export async function readImageLayers(calls: DockerCalls, imageId: string): Promise<Layer[] | undefined> {
  try {
    const info = await calls.call(`inspect image ${imageId}`, (signal) => dial<InspectInfo>(calls.docker, `/images/${imageId}/json`, signal));
    const history = await calls.call(`read the history of image ${imageId}`, (signal) => dial<HistoryEntry[]>(calls.docker, `/images/${imageId}/history`, signal));
    return pairLayers(imageId, info, history);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}
