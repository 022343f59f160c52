/**
 * The classic builder labels only the final image (its `labels` option becomes LABEL steps at the end), so a build
 * that fails mid-way leaves the images of its finished steps untagged and unlabelled: invisible to retention.
 * This reads the build output and remembers which step images the build itself created, so the build path can
 * remove them when the build fails. Base images (FROM) and cache hits are never counted: they belong to others.
 */
export class BuildSteps {
  private readonly created: string[] = [];
  private skipNext = false;

  /** Feed every line of the build's `stream` output. */
  line(text: string): void {
    if (/^Step \d+\/\d+ : FROM\b/i.test(text)) {
      this.skipNext = true;
      return;
    }
    if (/^ ---> Using cache\b/.test(text)) {
      this.skipNext = true;
      return;
    }
    const image = /^ ---> ([0-9a-f]{12,64})\s*$/.exec(text);
    if (!image) return;
    if (!this.skipNext) this.created.push(image[1]!);
    this.skipNext = false;
  }

  /** Step images this build made, newest first (children before parents, so each removal frees the next). */
  newestFirst(): string[] {
    return [...this.created].reverse();
  }
}

/**
 * Whether a build failed because a step image it had taken from the cache was removed meanwhile: an image removal
 * running beside the build (a prune, a cleanup, `docker rmi` of another image whose untagged parents it shared)
 * deleted the image the next step builds on. Docker says so at the step's start ("No such image: sha256:…") or when
 * it commits the step ("unknown parent image ID"). The same build run again finds no such cache entry and succeeds.
 */
export function stepImageRemoved(failure: string): boolean {
  return /unknown parent image ID sha256:[0-9a-f]{64}|No such image: sha256:[0-9a-f]{64}/.test(failure);
}
