import { DeckhandError } from '../errors.js';

/**
 * Docker image references, after the grammar of distribution/reference:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 * A first component is a registry domain only when it holds "." or ":", is "localhost", or has upper case
 * (as Docker's normalisation decides); every path component is lower case.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;

export interface ImageRef {
  /** Registry host[:port], when the reference names one. */
  domain?: string;
  /** Repository path, e.g. `library/nginx` or `team/web`. */
  path: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(input: string): ImageRef {
  const fail = (why: string): never => {
    throw new DeckhandError('invalid_image_ref', `Invalid image reference ${JSON.stringify(input)}: ${why}.`, { image: input });
  };
  if (input.length === 0) fail('it is empty');
  if (/[\s\u0000-\u001f\u007f]/.test(input)) fail('it contains white space or a control character');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail('the digest is not of the form algorithm:hex');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail('the tag must be 1-128 of letters, digits, "_", "." or "-", not starting with "." or "-"');
  }
  if (rest.length === 0) fail('the name is empty');
  if (rest.length > NAME_MAX) fail(`the name is longer than ${NAME_MAX} characters`);
  const parts = rest.split('/');
  let domain: string | undefined;
  const first = parts[0]!;
  if (parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    parts.shift();
    if (!DOMAIN.test(domain)) fail(`"${domain}" is not a valid registry host`);
  }
  for (const part of parts) {
    if (!PATH_COMPONENT.test(part)) {
      fail(`"${part}" must be lower-case letters and digits, separated by ".", "_", "__" or "-"`);
    }
  }
  const path = parts.join('/');
  if (!domain && /^[a-f0-9]{64}$/.test(path)) fail('a 64-character hex name is an image id, not a repository');
  return { domain, path, tag, digest };
}

export function validateImageRef(input: string): string {
  parseImageRef(input);
  return input;
}

export function formatImageRef(ref: ImageRef): string {
  const name = ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The reference with its tag replaced (digest dropped): `registry/app` + `v2` -> `registry/app:v2`. */
export function withTag(image: string, tag: string): string {
  const ref = parseImageRef(image);
  return validateImageRef(formatImageRef({ domain: ref.domain, path: ref.path, tag }));
}
