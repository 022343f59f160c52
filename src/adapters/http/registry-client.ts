import { DeckhandError } from '../../domain/errors.js';
import type { RegistryClient } from '../../domain/ports.js';
import { parseImageRef } from '../../domain/refs/image-ref.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Loopback registries speak plain HTTP (as Docker assumes for 127.0.0.0/8 and localhost); others HTTPS. */
export function registryBaseUrl(domain: string): string {
  const host = domain.replace(/:\d+$/, '');
  const plain = host === 'localhost' || /^127\./.test(host) || host === '[::1]';
  return `${plain ? 'http' : 'https'}://${domain}`;
}

/** The Docker Registry HTTP API v2, anonymous access. */
export class HttpRegistryClient implements RegistryClient {
  async has(ref: string): Promise<boolean> {
    const { domain, path, tag, digest } = parseImageRef(ref);
    if (!domain) throw new DeckhandError('invalid_image_ref', `${ref} names no registry host.`);
    const response = await fetch(`${registryBaseUrl(domain)}/v2/${path}/manifests/${digest ?? tag ?? 'latest'}`, {
      method: 'HEAD',
      headers: { accept: MANIFEST_TYPES },
      signal: AbortSignal.timeout(5000),
    });
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw new DeckhandError('image_unavailable', `Registry ${domain} answered HTTP ${response.status} for ${ref}.`);
  }
}
