import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './log.ts';
import { pidAlive, processesMatching } from './util/proc.ts';

/**
 * Every run gets <root>/<runId>. The folder path is the label: each process the run starts has it in
 * its command line (etcd's --data-dir, the Kubernetes components' certificate and kubeconfig paths),
 * so leftovers of a crashed run are found by looking at /proc.
 */
export function workRoot(): string {
  return process.env.ETCD_DRILL_WORK || join(tmpdir(), 'etcd-drill');
}

interface Owner {
  readonly pid: number;
  readonly startedAt: string;
  /** Left running on purpose (--keep); only `etcd-drill clean` removes it. */
  readonly kept?: boolean;
}

export async function createRunDir(runId: string): Promise<string> {
  const dir = join(workRoot(), runId);
  await mkdir(dir, { recursive: true });
  await writeOwner(dir, { pid: process.pid, startedAt: new Date().toISOString() });
  return dir;
}

async function writeOwner(dir: string, owner: Owner): Promise<void> {
  await writeFile(join(dir, 'owner.json'), JSON.stringify(owner));
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/**
 * Whether a run's resources may be removed: its owner process is gone (or unknown) and, unless
 * includeKept, it was not kept on purpose. Read synchronously: sweeps ask this for every container.
 */
export function isAbandoned(runId: string, labelledOwner: number, includeKept: boolean): boolean {
  let owner: Owner | undefined;
  try {
    owner = JSON.parse(readFileSync(join(workRoot(), runId, 'owner.json'), 'utf8')) as Owner;
  } catch {
    owner = undefined;
  }
  if (owner?.kept && !includeKept) return false;
  const pid = owner?.pid ?? labelledOwner;
  return !(pid > 0 && pid !== process.pid && pidAlive(pid)) && pid !== process.pid;
}

export async function markKept(dir: string): Promise<void> {
  const owner = await readOwner(dir);
  await writeOwner(dir, { pid: owner?.pid ?? process.pid, startedAt: owner?.startedAt ?? '', kept: true });
}

/** Kills every process labelled with `dir` and removes the folder. */
export async function removeRunDir(dir: string): Promise<number> {
  const procs = processesMatching(`${dir}/`);
  for (const p of procs) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 40 && procs.some((p) => pidAlive(p.pid)); i++) await sleep(50);
  await rm(dir, { recursive: true, force: true });
  return procs.length;
}

export interface SweepResult {
  readonly runs: string[];
  readonly processes: number;
}

/**
 * Removes what earlier runs left behind: runs whose owner process is dead and that were not kept.
 * Runs of live processes (a parallel run, another test worker) are left alone.
 */
export async function sweepLeftovers(
  log: Logger,
  opts: { includeKept?: boolean; only?: string } = {},
): Promise<SweepResult> {
  const root = workRoot();
  const result: SweepResult = { runs: [], processes: 0 };
  if (!existsSync(root)) return result;
  let processes = 0;
  for (const name of await readdir(root)) {
    if (opts.only && name !== opts.only) continue;
    const dir = join(root, name);
    const owner = await readOwner(dir);
    const ownerAlive = owner !== undefined && owner.pid !== process.pid && pidAlive(owner.pid);
    if (owner?.kept ? !opts.includeKept : ownerAlive || owner?.pid === process.pid) continue;
    processes += await removeRunDir(dir);
    result.runs.push(name);
  }
  // Processes (etcd, Kubernetes components) whose run folder is already gone (removed by hand, say).
  for (const p of processesMatching(`${root}/`)) {
    const run = p.args.join(' ').split(`${root}/`)[1]?.split('/')[0];
    if (run && !existsSync(join(root, run))) {
      try {
        process.kill(p.pid, 'SIGKILL');
        processes++;
      } catch {
        // gone
      }
    }
  }
  if (result.runs.length > 0 || processes > 0) {
    log.progress(
      `swept leftovers of earlier runs: ${result.runs.length} folder(s), ${processes} process(es)`,
      {
        runs: result.runs,
      },
    );
  }
  return { runs: result.runs, processes };
}
