/**
 * What removing images really frees. Images share layers (a common base, the same `COPY` of a binary); Docker
 * deletes a layer only when no remaining image uses it. Summing image sizes counts a shared layer once per image;
 * this counts each layer once, and only when nothing that stays uses it, as `docker system df` does.
 */

/** A layer as stored: `id` names the layer together with everything below it (its chain), so equal ids are one copy. */
export interface Layer {
  id: string;
  sizeBytes: number;
}

export interface LayeredImage {
  imageId: string;
  /** Bottom layer first. */
  layers: Layer[];
}

/** Bytes freed by removing every image of `removed` while every image of `remaining` stays. */
export function freedBytes(removed: LayeredImage[], remaining: LayeredImage[]): number {
  const kept = new Set(remaining.flatMap((image) => image.layers.map((layer) => layer.id)));
  const freed = new Map<string, number>();
  for (const image of removed) for (const layer of image.layers) if (!kept.has(layer.id)) freed.set(layer.id, layer.sizeBytes);
  return [...freed.values()].reduce((sum, size) => sum + size, 0);
}

/** Bytes the images use on disk together: each layer counted once. */
export function diskBytes(images: LayeredImage[]): number {
  return freedBytes(images, []);
}

/** An image's own bytes: its layers no other image uses (`docker system df -v` "unique size"). */
export function uniqueBytes(image: LayeredImage, others: LayeredImage[]): number {
  return freedBytes([image], others.filter((other) => other.imageId !== image.imageId));
}
