import { readFileSync } from 'node:fs';
import { HttpRegistryClient } from './adapters/http/registry-client.js';
import { RegistryCredentialResolver } from './adapters/registry/credentials.js';
import type { CredentialsFor } from './adapters/registry/docker-auth.js';
import { normalizeHost } from './adapters/registry/docker-config.js';
import type { Env } from './config/env.js';
import type { AppSpec } from './domain/apps.js';
import { parseImageRef } from './domain/refs/image-ref.js';
import { rememberSecrets } from './domain/secret-env.js';

export interface RegistryAccess {
  /** Credentials for a registry host: for the engine's push and pull. */
  credentials: CredentialsFor;
  /** The registry HTTP API (has, delete) with the same credentials. */
  client: HttpRegistryClient;
}

/** The registry hosts an app talks to: its `registry`, and the registry of an image app's `source.image`. */
function hostsOf(app: AppSpec): string[] {
  const refs = [app.registry, app.source.kind === 'image' ? app.source.image : undefined].filter((r): r is string => Boolean(r));
  return refs.flatMap((ref) => {
    try {
      return [normalizeHost(parseImageRef(ref).domain ?? 'docker.io')]; // no host: Docker Hub
    } catch {
      return [];
    }
  });
}

/**
 * Registry credentials (DECKHAND_REGISTRY_AUTH, else the Docker config.json, else none) for push, pull and the HTTP
 * API. Every secret value resolved, and every token obtained, is remembered as a secret of each app that uses the
 * host, so all of that app's redactors hide it; the environment and the config file are read once at start for that.
 */
export async function createRegistryAccess(env: Env, apps: AppSpec[]): Promise<RegistryAccess> {
  const onSecrets = (host: string, values: string[]) => {
    for (const app of apps) if (hostsOf(app).includes(normalizeHost(host))) rememberSecrets(app.name, values);
  };
  const resolver = new RegistryCredentialResolver({ logins: env.DECKHAND_REGISTRY_AUTH, dockerConfigDir: env.DOCKER_CONFIG, onSecrets });
  const hosts = [...new Set(apps.flatMap(hostsOf))];
  // At start, without helper processes: a helper runs when a push or pull needs it (and is then remembered too).
  await Promise.all(hosts.map((host) => resolver.resolve(host, { helpers: false }).catch(() => undefined)));
  const credentials = (host: string) => resolver.resolve(host);
  const ca = env.DECKHAND_REGISTRY_CA ? readFileSync(env.DECKHAND_REGISTRY_CA, 'utf8') : undefined;
  return { credentials, client: new HttpRegistryClient({ credentials, ca, onSecrets, insecure: env.DECKHAND_REGISTRY_INSECURE }) };
}
