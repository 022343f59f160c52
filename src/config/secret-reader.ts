import { readFileSync } from 'node:fs';
import type { SecretRef } from '../domain/apps.js';
import type { SecretReader } from '../domain/ports.js';

/** Reads `fromEnv` from deckhand's environment and `fromFile` from disk (one trailing newline stripped). */
export function createSecretReader(lookup: (name: string) => string | undefined = (name) => process.env[name]): SecretReader {
  return {
    read(ref: SecretRef): string {
      if ('fromEnv' in ref) {
        const value = lookup(ref.fromEnv);
        if (value === undefined || value === '') throw new Error(`environment variable ${ref.fromEnv} is not set`);
        return value;
      }
      let text: string;
      try {
        text = readFileSync(ref.fromFile, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unknown error');
        throw new Error(`cannot read file ${ref.fromFile}: ${reason}`);
      }
      return text.replace(/\r?\n$/, '');
    },
  };
}
