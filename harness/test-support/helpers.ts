import { existsSync, readdirSync } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { dockerClient, LABEL_RUN } from '../cluster/docker.ts';
import { processProvider } from '../cluster/process.ts';
import type { Cluster } from '../cluster/types.ts';
import { newRunId, type RunContext } from '../context.ts';
import { type DrillOptions, runDrill } from '../drill.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import type { ScenarioResult } from '../result.ts';
import { SCENARIO_DIR } from '../scenario.ts';
import { processesMatching } from '../util/proc.ts';
import { createRunDir, workRoot } from '../workdir.ts';

/** etcd processes labelled with any etcd-drill run folder. */
export function drillProcesses(under = workRoot()): { pid: number; args: string[] }[] {
  return processesMatching(`${under}/`).filter((p) => p.args[0]?.endsWith('/etcd'));
}

const KUBE = ['/kube-apiserver', '/kube-controller-manager', '/kube-scheduler', '/apiextensions-apiserver'];

/** Kubernetes control plane processes labelled with any etcd-drill run folder (or the one given). */
export function kubeProcesses(under = workRoot()): { pid: number; args: string[] }[] {
  return processesMatching(`${under}/`).filter((p) => KUBE.some((k) => p.args[0]?.endsWith(k)));
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

/** The Docker client when an engine answers; container tests need it. */
export const docker = await dockerClient(5000);

/**
 * Skips a container test, loudly, when no Docker engine answers, except in CI, where Docker is
 * installed by .ci/run and its absence is a failure, not a skip.
 */
export function needDocker(skip: (condition: boolean, note?: string) => void): void {
  if (docker) return;
  if (process.env.CI)
    throw new Error(
      'Docker is required in CI and no engine answers: .ci/run should have started it with ci/docker.sh',
    );
  console.warn(
    'SKIPPED: no Docker engine answers; start one with `bash ci/docker.sh` to run the container tests',
  );
  skip(true, 'no Docker engine answers: start one with `bash ci/docker.sh` to run the container tests');
}

/** Containers and networks carrying our run label (of one run, or any). */
export async function labelled(runId?: string): Promise<{ containers: string[]; networks: string[] }> {
  if (!docker) return { containers: [], networks: [] };
  const d = docker.container.dockerode;
  const label = runId ? [`${LABEL_RUN}=${runId}`] : [LABEL_RUN];
  const containers = await d.listContainers({ all: true, filters: { label } });
  const networks = await d.listNetworks({ filters: { label } });
  return { containers: containers.map((c) => c.Names[0] ?? c.Id), networks: networks.map((n) => n.Name) };
}

/**
 * A real process cluster (etcd 3.5.30) for the tests of one file: started before them, disposed after
 * them, and checked to leave no etcd process behind. Read `.cluster` inside a test.
 */
export function clusterForFile(size: number, token: string): { readonly cluster: Cluster } {
  let cluster: Cluster | undefined;
  let workDir: string | undefined;
  beforeAll(async () => {
    const dist = await resolveEtcd({ version: '3.5.30', log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await processProvider.create({ size, token, enableV2: false }, dist, ctx, token);
    await cluster.start();
  });
  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
    if (!workDir) return;
    expect(drillProcesses(workDir)).toHaveLength(0);
    await rm(workDir, { recursive: true, force: true });
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the cluster did not start');
      return cluster;
    },
  };
}

/** A copy of the scenario folder under `out` in which scenario `id` names these faults; returns the folder. */
export async function scenarioWithFaults(
  out: string,
  id: string,
  faults: readonly object[],
): Promise<string> {
  const dir = join(out, `scenarios-${id}-${Date.now().toString(36)}`);
  await cp(SCENARIO_DIR, dir, { recursive: true });
  const file = join(dir, `${id}.json`);
  const s = JSON.parse(await readFile(file, 'utf8'));
  s.faults = faults;
  await writeFile(file, JSON.stringify(s));
  return dir;
}

/** One drill as the CLI runs it (probes off unless asked), then proof that nothing of ours is left; its result. */
export async function drillOnce(o: DrillOptions): Promise<ScenarioResult> {
  const before = runFolders();
  const { run, workDir } = await runDrill({ probes: false, quiet: true, ...o });
  expect(drillProcesses(workDir)).toHaveLength(0);
  expect((await labelled(run.runId)).containers).toHaveLength(0);
  expect(runFolders()).toEqual(before);
  const r = run.results[0];
  if (!r) throw new Error('the drill left no result');
  return r;
}

/** Resolves once the child's stderr matches `pattern` (progress lines go to stderr). */
export function waitForProgress(
  child: ReturnType<typeof execa>,
  pattern: RegExp,
  timeoutMs = 180_000,
): Promise<void> {
  let seen = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never saw ${pattern}:\n${seen}`)), timeoutMs);
    const onData = (b: Buffer) => {
      seen += b.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
  });
}
