import { DeckhandError } from '../../domain/errors.js';
import { parseImageRef } from '../../domain/refs/image-ref.js';
import { type RegistryCredentials, dockerAuthConfig, refusedMessage } from './credentials.js';

export type CredentialsFor = (host: string) => Promise<RegistryCredentials>;

/** The credentials for the registry an image reference names (Docker Hub when it names none). */
export async function credentialsForRef(resolve: CredentialsFor | undefined, ref: string): Promise<RegistryCredentials | undefined> {
  if (!resolve) return undefined;
  return resolve(parseImageRef(ref).domain ?? 'docker.io');
}

/** Docker's authconfig for these credentials (sent as X-Registry-Auth); undefined: anonymous. */
export const authConfigOf = (credentials: RegistryCredentials | undefined) => (credentials ? dockerAuthConfig(credentials) : undefined);

/** How the engine words a registry's 401/denied (distribution, Docker Hub, Harbor, GHCR ...). */
const REFUSED = /unauthori[sz]ed|authentication required|no basic auth credentials|requested access to the resource is denied|pull access denied|incorrect username or password|denied:/i;

/**
 * A push or pull failure as a DeckhandError: the registry refusing the credentials becomes `registry_auth_failed`
 * naming the host and where the credentials came from (never the engine's text, which may quote a header).
 */
export function pushPullFailure(verb: 'push' | 'pull', ref: string, reason: string, credentials: RegistryCredentials | undefined, cause?: unknown): DeckhandError {
  const host = parseImageRef(ref).domain ?? 'docker.io';
  if (REFUSED.test(reason)) {
    const who = credentials ?? { host, source: 'none' };
    return new DeckhandError('registry_auth_failed', `Could not ${verb} ${ref}: ${refusedMessage(who)}.`, { image: ref, host, source: who.source }, { cause });
  }
  return new DeckhandError('image_unavailable', `Could not ${verb} ${ref}: ${reason}`, { image: ref }, { cause });
}
