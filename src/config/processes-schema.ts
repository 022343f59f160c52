import { z } from 'zod';
import { type ProcessSpec, WEB_PROCESS } from '../domain/apps.js';
import { argvField, durationField, envField, splitEnv } from './fields.js';

/** `processes:` of an app in deckhand.yml: background containers of the same image, deployed with the web. */

const PROCESS_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const PROCESS_NAME_RULE = 'process names are lower-case letters, digits and "-" (at most 30), starting with a letter';

const ProcessSchema = z
  .object({
    command: argvField,
    replicas: z.number().int('expected a whole number of containers').min(0).max(50).default(1),
    env: envField,
    healthyAfter: durationField.default(5_000),
    health: z.object({ cmd: argvField }).strict().optional(),
  })
  .strict();

export const ProcessesSchema = z.record(z.string(), ProcessSchema).superRefine((processes, ctx) => {
  for (const name of Object.keys(processes)) {
    if (name === WEB_PROCESS) ctx.addIssue({ code: 'custom', message: '"web" is the HTTP container, configured under run:; give the process another name', path: [name] });
    else if (!PROCESS_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a valid name: ${PROCESS_NAME_RULE}`, path: [name] });
  }
});

/** The processes as the domain knows them, sorted by name; undefined when the app has none. */
export function processSpecs(processes: z.infer<typeof ProcessesSchema> | undefined): ProcessSpec[] | undefined {
  const names = Object.keys(processes ?? {}).sort();
  if (!processes || names.length === 0) return undefined;
  return names.map((name) => {
    const process = processes[name]!;
    return {
      name,
      command: process.command,
      replicas: process.replicas,
      ...splitEnv(process.env),
      healthyAfterMs: process.healthyAfter,
      ...(process.health ? { healthCmd: process.health.cmd } : {}),
    };
  });
}
