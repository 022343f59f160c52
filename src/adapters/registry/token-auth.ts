import { DeckhandError } from '../../domain/errors.js';
import { type RegistryCredentials, refusedMessage } from './credentials.js';
import { type HttpResponse, httpRequest } from './http-request.js';

/** A `WWW-Authenticate` challenge: `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`. */
export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  const match = text?.match(/^\s*(Basic|Bearer)\b(.*)$/i);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of match[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[key!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare!;
  return { scheme: match[1]!.toLowerCase() as Challenge['scheme'], params };
}

export const basicHeader = (c: RegistryCredentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/**
 * The token flow of the registry API: the realm is asked for a token for `service` and `scope`, with the
 * credentials as HTTP Basic (or, for an identity token, the OAuth2 refresh-token grant); anonymous when there are
 * none. A 401 from the realm is the registry refusing the credentials.
 */
export async function fetchBearerToken(challenge: Challenge, credentials: RegistryCredentials, options: { ca?: string; timeoutMs: number }): Promise<string> {
  const { realm, service, scope } = challenge.params;
  if (!realm || !/^https?:\/\//i.test(realm)) throw new DeckhandError('registry_auth_failed', `The registry ${credentials.host} asked for a token without a usable realm.`, { host: credentials.host });
  const url = new URL(realm);
  let response: HttpResponse;
  if (credentials.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: 'deckhand', ...(service ? { service } : {}), ...(scope ? { scope } : {}) });
    response = await httpRequest(url.href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), ca: options.ca, timeoutMs: options.timeoutMs });
  } else {
    if (service) url.searchParams.set('service', service);
    if (scope) url.searchParams.set('scope', scope);
    const headers: Record<string, string> = credentials.username && credentials.password ? { authorization: basicHeader(credentials) } : {};
    response = await httpRequest(url.href, { method: 'GET', headers, ca: options.ca, timeoutMs: options.timeoutMs });
  }
  if (response.status === 401 || response.status === 403) throw new DeckhandError('registry_auth_failed', `${capitalize(refusedMessage(credentials))}.`, { host: credentials.host, source: credentials.source });
  if (response.status !== 200) throw new DeckhandError('registry_auth_failed', `The token service of ${credentials.host} answered HTTP ${response.status}.`, { host: credentials.host });
  let token: unknown;
  try {
    const body = JSON.parse(response.body) as { token?: unknown; access_token?: unknown };
    token = body.token ?? body.access_token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || !token) throw new DeckhandError('registry_auth_failed', `The token service of ${credentials.host} gave no token.`, { host: credentials.host });
  return token;
}

export const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
