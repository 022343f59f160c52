import { describe, expect, it } from 'vitest';
import { pairLayers } from '../../src/adapters/docker/image-layers.js';
import { type LayeredImage, diskBytes, freedBytes, uniqueBytes } from '../../src/domain/retention/layers.js';

const MB = 1_000_000;
const image = (imageId: string, ...layers: Array<[string, number]>): LayeredImage => ({ imageId, layers: layers.map(([id, sizeBytes]) => ({ id, sizeBytes })) });

// Three releases on one 50 MB base; `other` is another app's image on the same base.
const base: [string, number] = ['base', 50 * MB];
const r1 = image('r1', base, ['app-1', 2 * MB]);
const r2 = image('r2', base, ['app-2', 3 * MB]);
const r3 = image('r3', base, ['app-3', 4 * MB]);
const other = image('other', base, ['other-app', 1 * MB]);

describe('bytes a prune frees, by layer', () => {
  it('removing images whose base a kept image shares frees only their own layers, not the sum of their sizes', () => {
    expect(freedBytes([r1, r2], [r3])).toBe(5 * MB);
    // What the old count said: 52 + 53 = 105 MB.
    expect(freedBytes([r1, r2], [r3])).toBeLessThan(r1.layers.concat(r2.layers).reduce((n, l) => n + l.sizeBytes, 0));
  });

  it('a layer shared only by removed images is freed once', () => {
    expect(freedBytes([r1, r2, r3], [])).toBe(59 * MB);
  });

  it("another app's image keeps the shared base alive", () => {
    expect(freedBytes([r1, r2, r3], [other])).toBe(9 * MB);
  });

  it('disk use counts each layer once; unique size is what docker system df -v shows', () => {
    expect(diskBytes([r1, r2, r3])).toBe(59 * MB);
    expect(uniqueBytes(r1, [r1, r2, r3])).toBe(2 * MB);
    expect(uniqueBytes(image('alone', ['solo', 7 * MB]), [r1])).toBe(7 * MB);
  });

  it('removing nothing frees nothing', () => {
    expect(freedBytes([], [r1, r2])).toBe(0);
  });
});

describe("pairing Docker's layers with their sizes", () => {
  const info = (layers: string[], size: number) => ({ Size: size, RootFS: { Layers: layers } });

  it('takes sizes from the history (newest first), skipping entries that made no layer (CMD, ENV)', () => {
    const layers = pairLayers('sha256:x', info(['sha256:a', 'sha256:b'], 1006), [{ Size: 0 }, { Size: 6 }, { Size: 1000 }]);
    expect(layers.map((l) => l.sizeBytes)).toEqual([1000, 6]);
  });

  it('names a layer by its chain: the same layer on the same base is one id, on another base another', () => {
    const [a1, b1] = pairLayers('i1', info(['sha256:a', 'sha256:b'], 2), [{ Size: 1 }, { Size: 1 }]);
    const [a2, b2] = pairLayers('i2', info(['sha256:a', 'sha256:b'], 2), [{ Size: 1 }, { Size: 1 }]);
    const [, bOnOther] = pairLayers('i3', info(['sha256:z', 'sha256:b'], 2), [{ Size: 1 }, { Size: 1 }]);
    expect(a1!.id).toBe(a2!.id);
    expect(b1!.id).toBe(b2!.id);
    expect(bOnOther!.id).not.toBe(b1!.id);
  });

  it('a history that cannot be paired counts the whole image as its own layer', () => {
    expect(pairLayers('sha256:x', info(['sha256:a'], 300), [{ Size: 100 }, { Size: 200 }])).toEqual([{ id: 'image:sha256:x', sizeBytes: 300 }]);
  });
});
