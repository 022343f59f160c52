import { DeckhandError } from '../errors.js';

const CONTROL = /[\u0000-\u001f\u007f]/;
const FORBIDDEN_CHARS = /[ ~^:?*[\\]/;

/**
 * Why a git ref name is unacceptable, or undefined when it is fine. Mirrors `git check-ref-format --allow-onelevel`
 * (tested against the real command) and adds what deckhand refuses on top: a leading `-` (an option in disguise)
 * and anything over 255 characters.
 */
export function gitRefProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'the ref is empty';
  if (ref.length > 255) return 'the ref is longer than 255 characters';
  if (CONTROL.test(ref)) return 'the ref contains a control character';
  if (ref.startsWith('-')) return 'the ref starts with "-"';
  if (ref.includes('..')) return 'the ref contains ".."';
  if (FORBIDDEN_CHARS.test(ref)) return 'the ref contains a space or one of ~ ^ : ? * [ \\';
  if (ref.includes('@{')) return 'the ref contains "@{"';
  if (ref === '@') return 'the ref is "@"';
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return 'the ref has an empty path component';
  if (ref.endsWith('.')) return 'the ref ends with "."';
  for (const component of ref.split('/')) {
    if (component.startsWith('.')) return 'a path component of the ref starts with "."';
    if (component.endsWith('.lock')) return 'a path component of the ref ends with ".lock"';
  }
  return undefined;
}

/** Throws `invalid_ref` with the reason; returns the ref unchanged when valid. */
export function validateGitRef(ref: string): string {
  const problem = gitRefProblem(ref);
  if (problem) throw new DeckhandError('invalid_ref', `Invalid git ref ${JSON.stringify(ref)}: ${problem}.`, { ref });
  return ref;
}

export function isFullSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value) || /^[0-9a-f]{64}$/.test(value);
}

export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '-------';
}
