import { existsSync, readdirSync } from 'node:fs';
import { newRunId, type RunContext } from '../context.ts';
import { silentLogger } from '../log.ts';
import { processesMatching } from '../util/proc.ts';
import { createRunDir, workRoot } from '../workdir.ts';

/** etcd processes labelled with any etcd-drill run folder. */
export function drillProcesses(under = workRoot()): { pid: number; args: string[] }[] {
  return processesMatching(`${under}/`).filter((p) => p.args[0]?.endsWith('/etcd'));
}

export function runFolders(): string[] {
  return existsSync(workRoot()) ? readdirSync(workRoot()) : [];
}

export async function testContext(): Promise<RunContext> {
  const runId = newRunId();
  return {
    runId,
    workDir: await createRunDir(runId),
    log: silentLogger,
    signal: new AbortController().signal,
  };
}
