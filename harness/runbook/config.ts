import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';

/** runbook.yaml: optional; every field too. */
export const RunbookYamlSchema = z
  .object({
    title: z.string().min(1).optional(),
    /** The APIs the runbook claims to restore; the procedure grade is judged against these. */
    restores: z
      .array(z.enum(['v2', 'v3']))
      .min(1)
      .refine((a) => new Set(a).size === a.length, 'each API once')
      .optional(),
    /** etcd versions it is written for: x.y.z, or x.y for every patch release of it. */
    etcd: z
      .array(z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'a version like 3.5.30 or 3.5'))
      .min(1)
      .optional(),
  })
  .strict();

export interface Runbook {
  /** Absolute path of the folder. */
  readonly dir: string;
  readonly title: string;
  /** undefined: every API the drill seeds. */
  readonly restores?: readonly ('v2' | 'v3')[];
  readonly etcd?: readonly string[];
}

export const SCRIPTS = ['backup.sh', 'restore.sh'] as const;

function bad(msg: string): HarnessError {
  return new HarnessError('BAD_INPUT', msg);
}

/** Parses runbook.yaml's text; `where` names the file in the one-line error. */
export function parseRunbookYaml(text: string, where: string): z.infer<typeof RunbookYamlSchema> {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw bad(`${where} is not YAML (${(err as Error).message.split('\n')[0]}): fix its syntax`);
  }
  const parsed = RunbookYamlSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw bad(
      `${where}: ${i?.path.join('.') || '(top)'}: ${i?.message}: it may hold title, restores ([v2, v3] or a part) and etcd (versions)`,
    );
  }
  return parsed.data;
}

/**
 * A runbook folder, checked before anything starts: backup.sh and restore.sh present and executable,
 * runbook.yaml (when present) valid. Each problem is one line naming the fix.
 */
export function loadRunbook(dirArg: string): Runbook {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw bad(`--runbook ${dirArg} is not a folder: give the folder holding backup.sh and restore.sh`);
  for (const script of SCRIPTS) {
    const file = join(dir, script);
    if (!existsSync(file))
      throw bad(`--runbook ${dirArg} has no ${script}: add it (see README, "Your own runbook")`);
    try {
      accessSync(file, constants.X_OK);
    } catch {
      throw bad(`--runbook ${dirArg}: ${script} is not executable: chmod +x ${file}`);
    }
  }
  const yamlFile = join(dir, 'runbook.yaml');
  const y = existsSync(yamlFile) ? parseRunbookYaml(readFileSync(yamlFile, 'utf8'), yamlFile) : {};
  return {
    dir,
    title: y.title ?? basename(dir),
    ...(y.restores ? { restores: y.restores } : {}),
    ...(y.etcd ? { etcd: y.etcd } : {}),
  };
}

/** Whether a version is one the runbook targets (every version when it names none). */
export function targets(rb: Runbook, version: string): boolean {
  return !rb.etcd || rb.etcd.some((v) => version === v || version.startsWith(`${v}.`));
}
