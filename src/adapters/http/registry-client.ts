import { DeckhandError } from '../../domain/errors.js';
import type { RegistryClient } from '../../domain/ports.js';
import { formatImageRef, parseImageRef } from '../../domain/refs/image-ref.js';

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
  private manifestUrl(ref: string): { url: string; domain: string } {
    const { domain, path, tag, digest } = parseImageRef(ref);
    if (!domain) throw new DeckhandError('invalid_image_ref', `${ref} names no registry host.`);
    return { domain, url: `${registryBaseUrl(domain)}/v2/${path}/manifests/${digest ?? tag ?? 'latest'}` };
  }

  async has(ref: string): Promise<boolean> {
    return (await this.digestOf(ref)) !== undefined;
  }

  private async digestOf(ref: string): Promise<string | undefined> {
    const { url, domain } = this.manifestUrl(ref);
    const response = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(5000) });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new DeckhandError('image_unavailable', `Registry ${domain} answered HTTP ${response.status} for ${ref}.`);
    return response.headers.get('docker-content-digest') ?? undefined;
  }

  /** Deletes by digest (the registry API deletes manifests, not tags); needs deletes enabled on the registry. */
  async delete(ref: string): Promise<boolean> {
    const digest = await this.digestOf(ref);
    if (!digest) return false;
    const { domain: host, path } = parseImageRef(ref);
    const { url, domain } = this.manifestUrl(formatImageRef({ domain: host, path, digest }));
    const response = await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
    if (response.status === 202 || response.status === 404) return response.status === 202;
    throw new DeckhandError('image_unavailable', `Registry ${domain} refused to delete ${ref}: HTTP ${response.status}${response.status === 405 ? ' (deletes are disabled on that registry)' : ''}.`);
  }
}
