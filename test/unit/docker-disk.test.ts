import { describe, expect, it } from 'vitest';
import { dockerDiskFull } from '../../src/adapters/docker/docker-disk.js';

describe("Docker's disk full, from what Docker said", () => {
  it("an API answer: Docker's sentence without dockerode's prefix, and where to look", () => {
    const answer = Object.assign(new Error('(HTTP code 500) server error - write /var/lib/docker/overlay2/abc-init/link: no space left on device '), { statusCode: 500 });
    const error = dockerDiskFull(answer);
    expect(error?.code).toBe('disk_full');
    expect(error?.message).toBe(
      "Docker's disk is full: write /var/lib/docker/overlay2/abc-init/link: no space left on device. Free space where Docker keeps its data (`docker system df` shows what its images, containers and build cache hold; `deckhand prune` removes the images no rollback needs), then retry.",
    );
    expect(error?.cause).toBe(answer);
  });

  it("a build's or pull's failure line, and a quota", () => {
    expect(dockerDiskFull('failed to register layer: write /usr/lib/x: no space left on device')?.code).toBe('disk_full');
    expect(dockerDiskFull('Error processing tar file(exit status 1): write /Dockerfile: disk quota exceeded')?.code).toBe('disk_full');
  });

  it('anything else is left as it was', () => {
    expect(dockerDiskFull(new Error('(HTTP code 409) unexpected - Conflict. The container name is already in use'))).toBeUndefined();
    expect(dockerDiskFull('The command returned a non-zero code: 1')).toBeUndefined();
    expect(dockerDiskFull(undefined)).toBeUndefined();
  });
});
