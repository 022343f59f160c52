import type { AppSpec, SecretRef } from './apps.js';
import { DeckhandError } from './errors.js';
import type { SecretReader } from './ports.js';

/** The env each container of a release gets, resolved at deploy time; `secrets` are the values read from sources. */
export interface ResolvedEnv {
  web: Record<string, string>;
  /** By process name: `run.env` with the process's own env merged over it. */
  processes: Map<string, Record<string, string>>;
  secrets: string[];
}

export function describeSecretRef(ref: SecretRef): string {
  return 'fromEnv' in ref ? `fromEnv ${ref.fromEnv}` : `fromFile ${ref.fromFile}`;
}

/**
 * Reads every secret source of the app (web and processes) and builds each container's env. The first source that
 * cannot be read fails the whole deploy before anything starts, naming the env key and its source, never a value.
 * Every value read is remembered for redaction (see secretValuesOf).
 */
export function resolveEnv(app: AppSpec, reader: SecretReader): ResolvedEnv {
  const secrets: string[] = [];
  const read = (where: string, sources: Record<string, SecretRef> | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [key, ref] of Object.entries(sources ?? {})) {
      try {
        out[key] = reader.read(ref);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new DeckhandError('secret_unavailable', `${app.name}: ${where}.${key} (${describeSecretRef(ref)}) could not be read: ${reason}. Nothing was started.`, { key, where, source: describeSecretRef(ref) });
      }
      secrets.push(out[key]!);
    }
    return out;
  };
  const web = { ...app.run.env, ...read('run.env', app.run.secretEnv) };
  const processes = new Map<string, Record<string, string>>();
  for (const process of app.processes ?? []) processes.set(process.name, { ...web, ...process.env, ...read(`processes.${process.name}.env`, process.secretEnv) });
  rememberSecrets(app.name, secrets);
  return { web, processes, secrets };
}

/**
 * The web env as a deploy now would get it, to compare with a past deploy's snapshot (rollback plans). A source that
 * cannot be read now stands as a value no snapshot holds, so it shows as changed rather than failing the plan.
 */
export function webEnvNow(app: AppSpec, reader: SecretReader | undefined): Record<string, string> {
  const env = { ...app.run.env };
  for (const [key, ref] of Object.entries(app.run.secretEnv ?? {})) {
    try {
      if (!reader) throw new Error('no reader');
      env[key] = reader.read(ref);
    } catch {
      env[key] = `\u0000unreadable:${describeSecretRef(ref)}`;
    }
  }
  return env;
}

/**
 * Secret values read for each app in this process, kept so that every redactor of the app (Slack replies, log
 * uploads, CLI output) hides them, also values read by an earlier deploy (a rotated secret may still be in a log).
 */
const remembered = new Map<string, Set<string>>();

export function rememberSecrets(app: string, values: Iterable<string>): void {
  let set = remembered.get(app);
  if (!set) remembered.set(app, (set = new Set()));
  for (const value of values) if (value.length > 0) set.add(value);
}

export function secretValuesOf(app: string): string[] {
  return [...(remembered.get(app) ?? [])];
}

/**
 * At start-up: reads what can be read of every app's secret sources so redaction knows them before any deploy runs
 * in this process. A source that cannot be read now is skipped here; a deploy reports it.
 */
export function primeSecrets(apps: AppSpec[], reader: SecretReader): void {
  for (const app of apps) {
    const refs = [...Object.values(app.run.secretEnv ?? {}), ...(app.processes ?? []).flatMap((p) => Object.values(p.secretEnv))];
    const values: string[] = [];
    for (const ref of refs) {
      try {
        values.push(reader.read(ref));
      } catch {
        // reported by the deploy that needs it
      }
    }
    rememberSecrets(app.name, values);
  }
}
