import { z } from 'zod';
import { parseImageRef } from '../domain/refs/image-ref.js';

/** One registry's credentials given in deckhand's environment. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** Registry host (`host[:port]`, as in image references) -> credentials. */
export type RegistryLogins = Record<string, RegistryLogin>;

const isRegistryHost = (host: string) => {
  try {
    return parseImageRef(`${host}/x`).domain === host;
  } catch {
    return false;
  }
};

const LoginSchema = z.object({ username: z.string().min(1, 'username must not be empty'), password: z.string().min(1, 'password must not be empty') }).strict();

/**
 * `DECKHAND_REGISTRY_AUTH`: a JSON object `{ "host:port": { "username": "...", "password": "..." } }`, one entry
 * per registry host, so credentials only ever go to the registry they belong to. Issues name the host and the
 * field, never a value (not even a JSON parse error, whose text would quote the input).
 */
export const registryAuthField = z
  .string()
  .optional()
  .transform((text, ctx): RegistryLogins => {
    if (text === undefined || text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON; expected {"host:port": {"username": "...", "password": "..."}}' });
      return z.NEVER;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object keyed by registry host, e.g. {"registry.example.com": {"username": "...", "password": "..."}}' });
      return z.NEVER;
    }
    const out: RegistryLogins = Object.create(null);
    for (const [host, entry] of Object.entries(parsed)) {
      if (!isRegistryHost(host)) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(host.slice(0, 100))} is not a registry host (host or host:port, no scheme or path)` });
        continue;
      }
      const login = LoginSchema.safeParse(entry);
      if (!login.success) {
        const why = login.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.join(', ')}` : i.path.length === 0 ? 'must be an object' : `${i.path.join('.')} ${i.code === 'invalid_type' ? 'must be a string' : i.message.replace(/^\w+ /, '')}`));
        ctx.addIssue({ code: 'custom', message: `${host}: ${why.join('; ')} (expected {"username": "...", "password": "..."})` });
        continue;
      }
      out[host] = login.data;
    }
    return out;
  });
