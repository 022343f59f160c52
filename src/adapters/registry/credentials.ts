import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistryLogins } from '../../config/registry-auth.js';
import { DeckhandError } from '../../domain/errors.js';
import { fromDockerConfig, normalizeHost } from './docker-config.js';

/** Credentials for one registry host and where they came from (named in messages, never the values). */
export interface RegistryCredentials {
  host: string;
  /** `DECKHAND_REGISTRY_AUTH`, a config.json path, `docker-credential-<name> (...)`, or `none`. */
  source: string;
  username?: string;
  password?: string;
  /** An OAuth refresh token (config.json `identitytoken`, or a helper's `<token>` user). */
  identityToken?: string;
}

export interface CredentialResolverOptions {
  /** From DECKHAND_REGISTRY_AUTH (env.ts). */
  logins?: RegistryLogins;
  /** Docker's DOCKER_CONFIG; else `~/.docker`. */
  dockerConfigDir?: string;
  /** Bound on a `docker-credential-*` helper. */
  helperTimeoutMs?: number;
  /** Told every secret value resolved for a host, so redaction knows it before it could leak. */
  onSecrets?: (host: string, values: string[]) => void;
}

/** What redaction must hide for these credentials: the password or token, and the base64 `user:password` form. */
export function secretsOf(credentials: RegistryCredentials): string[] {
  const { username, password, identityToken } = credentials;
  const values = [password, identityToken].filter((v): v is string => Boolean(v));
  if (username && password) values.push(Buffer.from(`${username}:${password}`).toString('base64'));
  return values;
}

/** Docker's auth config (the X-Registry-Auth header) for a push or pull; undefined when anonymous. */
export function dockerAuthConfig(credentials: RegistryCredentials): Record<string, string> | undefined {
  const serveraddress = credentials.host;
  if (credentials.identityToken) return { identitytoken: credentials.identityToken, serveraddress };
  if (credentials.username && credentials.password) return { username: credentials.username, password: credentials.password, serveraddress };
  return undefined;
}

/** The one sentence for a registry that said 401: which host, and where the credentials came from. */
export function refusedMessage(credentials: Pick<RegistryCredentials, 'host' | 'source'>): string {
  const hint = credentials.source === 'none' ? ': it asks for credentials; give them in DECKHAND_REGISTRY_AUTH or with `docker login` (the Docker config.json)' : '';
  return `the registry refused the credentials for ${credentials.host} (from ${credentials.source})${hint}`;
}

/**
 * Finds the credentials for a registry host, in this order: deckhand's environment (DECKHAND_REGISTRY_AUTH), the
 * operator's Docker config.json (`credHelpers`, `auths`, `credsStore`), else none (anonymous). Never deckhand.yml.
 */
export class RegistryCredentialResolver {
  private readonly logins: RegistryLogins;
  private readonly configPath: string;

  constructor(private readonly options: CredentialResolverOptions = {}) {
    this.logins = options.logins ?? {};
    this.configPath = join(options.dockerConfigDir || join(homedir(), '.docker'), 'config.json');
  }

  /** `helpers: false` reads only the environment and the file (no helper process), as at start-up. */
  async resolve(host: string, { helpers = true }: { helpers?: boolean } = {}): Promise<RegistryCredentials> {
    const credentials = await this.find(host, helpers);
    const values = secretsOf(credentials);
    if (values.length > 0) this.options.onSecrets?.(host, values);
    return credentials;
  }

  private async find(host: string, helpers: boolean): Promise<RegistryCredentials> {
    const wanted = normalizeHost(host);
    const login = Object.entries(this.logins).find(([key]) => normalizeHost(key) === wanted)?.[1];
    if (login) return { host, source: 'DECKHAND_REGISTRY_AUTH', username: login.username, password: login.password };
    try {
      return (await fromDockerConfig(host, this.configPath, { helpers, timeoutMs: this.options.helperTimeoutMs ?? 10_000 })) ?? { host, source: 'none' };
    } catch (error) {
      if (error instanceof DeckhandError) throw error;
      throw new DeckhandError('registry_auth_failed', `Could not read the credentials for ${host} from ${this.configPath}.`, { host }, { cause: error });
    }
  }
}
