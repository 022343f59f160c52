import { DeckhandError } from '../../domain/errors.js';
import type { RegistryClient } from '../../domain/ports.js';
import { formatImageRef, parseImageRef } from '../../domain/refs/image-ref.js';
import { type RegistryCredentials, refusedMessage } from '../registry/credentials.js';
import { type HttpResponse, httpRequest } from '../registry/http-request.js';
import { basicHeader, capitalize, fetchBearerToken, parseChallenge } from '../registry/token-auth.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Loopback registries speak plain HTTP (as Docker assumes for 127.0.0.0/8 and localhost), and so do the hosts the
 * operator lists as insecure (DECKHAND_REGISTRY_INSECURE, Docker's `insecure-registries`); others HTTPS.
 */
export function registryBaseUrl(domain: string, insecure: readonly string[] = []): string {
  const host = domain.replace(/:\d+$/, '');
  const plain = host === 'localhost' || /^127\./.test(host) || host === '[::1]' || insecure.includes(domain);
  return `${plain ? 'http' : 'https'}://${domain}`;
}

export interface HttpRegistryClientOptions {
  /** Credentials for a registry host (see registry/credentials.ts); anonymous when absent. */
  credentials?: (host: string) => Promise<RegistryCredentials>;
  /** Extra CA (PEM) trusted for HTTPS registries and their token services (DECKHAND_REGISTRY_CA). */
  ca?: string;
  /** Told every bearer token obtained, so redaction hides it. */
  onSecrets?: (host: string, values: string[]) => void;
  timeoutMs?: number;
  /** Registry hosts (host:port as in image references) spoken to over plain HTTP. */
  insecure?: readonly string[];
}

/** The Docker Registry HTTP API v2: anonymous, HTTP Basic, or the Bearer token flow, as the registry asks. */
export class HttpRegistryClient implements RegistryClient {
  constructor(private readonly options: HttpRegistryClientOptions = {}) {}

  private manifestUrl(ref: string): { url: string; domain: string } {
    const { domain, path, tag, digest } = parseImageRef(ref);
    if (!domain) throw new DeckhandError('invalid_image_ref', `${ref} names no registry host.`);
    return { domain, url: `${registryBaseUrl(domain, this.options.insecure)}/v2/${path}/manifests/${digest ?? tag ?? 'latest'}` };
  }

  async has(ref: string): Promise<boolean> {
    return (await this.digestOf(ref)) !== undefined;
  }

  private async digestOf(ref: string): Promise<string | undefined> {
    const { url, domain } = this.manifestUrl(ref);
    const response = await this.send('HEAD', domain, url, { accept: MANIFEST_TYPES });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new DeckhandError('image_unavailable', `Registry ${domain} answered HTTP ${response.status} for ${ref}.`);
    const digest = response.headers['docker-content-digest'];
    return (Array.isArray(digest) ? digest[0] : digest) ?? undefined;
  }

  /** Deletes by digest (the registry API deletes manifests, not tags); needs deletes enabled on the registry. */
  async delete(ref: string): Promise<boolean> {
    const digest = await this.digestOf(ref);
    if (!digest) return false;
    const { domain: host, path } = parseImageRef(ref);
    const { url, domain } = this.manifestUrl(formatImageRef({ domain: host, path, digest }));
    const response = await this.send('DELETE', domain, url, {});
    if (response.status === 202 || response.status === 404) return response.status === 202;
    throw new DeckhandError('image_unavailable', `Registry ${domain} refused to delete ${ref}: HTTP ${response.status}${response.status === 405 ? ' (deletes are disabled on that registry)' : ''}.`);
  }

  /**
   * Sends the request anonymously first; on a 401 answers the registry's challenge (Basic with the credentials, or
   * a Bearer token from its realm) and sends it again once. A second 401 is the registry refusing the credentials.
   */
  private async send(method: string, domain: string, url: string, headers: Record<string, string>): Promise<HttpResponse> {
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const request = (extra: Record<string, string>) =>
      httpRequest(url, { method, headers: { ...headers, ...extra }, ca: this.options.ca, timeoutMs }).catch((error: unknown) => {
        throw new DeckhandError('image_unavailable', `Registry ${domain} could not be reached: ${error instanceof Error ? error.message : String(error)}.`, { host: domain }, { cause: error });
      });
    const first = await request({});
    if (first.status !== 401) return first;
    const credentials = (await this.options.credentials?.(domain)) ?? { host: domain, source: 'none' };
    const refused = () => new DeckhandError('registry_auth_failed', `${capitalize(refusedMessage(credentials))}.`, { host: domain, source: credentials.source });
    const challenge = parseChallenge(first.headers['www-authenticate']);
    let authorization: string;
    if (challenge?.scheme === 'bearer') {
      const token = await fetchBearerToken(challenge, credentials, { ca: this.options.ca, timeoutMs });
      this.options.onSecrets?.(domain, [token]);
      authorization = `Bearer ${token}`;
    } else if (challenge?.scheme === 'basic' && credentials.username && credentials.password) {
      authorization = basicHeader(credentials);
    } else {
      throw refused();
    }
    const second = await request({ authorization });
    if (second.status === 401) throw refused();
    return second;
  }
}
