import { DeckhandError } from '../../domain/errors.js';

/** Docker says a write failed for want of space: in an API answer, or a build's, pull's or push's stream. */
const NO_SPACE = /no space left on device|disk quota exceeded/i;

/**
 * Docker's answer as `disk_full` when it says Docker's own disk is full (its data root: images, containers, build
 * cache); undefined otherwise. On a full data root Docker still stops containers but can neither create one nor start
 * a stopped one again, so nothing is worth retrying until space is freed, and the person is told where to look.
 */
export function dockerDiskFull(answer: unknown): DeckhandError | undefined {
  const text = typeof answer === 'string' ? answer : answer instanceof Error ? answer.message : '';
  if (!NO_SPACE.test(text)) return undefined;
  const said = text.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim().replace(/\.$/, '');
  return new DeckhandError(
    'disk_full',
    `Docker's disk is full: ${said}. Free space where Docker keeps its data (\`docker system df\` shows what its images, containers and build cache hold; \`deckhand prune\` removes the images no rollback needs), then retry.`,
    { reason: 'docker' },
    answer instanceof Error ? { cause: answer } : undefined,
  );
}
