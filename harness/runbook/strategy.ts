import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readdir, stat } from 'node:fs/promises';
import { basename, delimiter, dirname, join, relative } from 'node:path';
import { linkTools } from '../cluster/process.ts';
import type { Cluster, HealthReport } from '../cluster/types.ts';
import { HarnessError, Refusal } from '../errors.ts';
import { cleanEnv } from '../etcd/ctl.ts';
import { hungQuote } from '../strategies/bound.ts';
import { sha256File, snapshotStatus } from '../strategies/common.ts';
import type { BackupArtifact, Recorder, Strategy } from '../strategies/types.ts';
import { type Runbook, targets } from './config.ts';
import { runScript, type ScriptRun } from './script.ts';
import { type ServiceFault, serveUnits } from './service.ts';
import { etcdRefusal } from './unhealthy.ts';

/** How long a runbook script may run before it counts as hung: --runbook-timeout. */
export const RUNBOOK_TIMEOUT_MS = 10 * 60_000;

/** The lines a failed script is quoted by. */
const QUOTE_LINES = 3;

/** The environment a runbook script gets (README, "Your own runbook", documents each variable). */
export function scriptEnv(cluster: Cluster, service: string, bin: string): Record<string, string> {
  const envDir = cluster.envDir;
  if (!envDir) throw new HarnessError('STRATEGY', 'a runbook needs a cluster of units (spec.envFiles)');
  const pki = cluster.pki;
  return cleanEnv({
    PATH: [bin, process.env.PATH ?? ''].join(delimiter),
    ETCD_DRILL_MEMBERS: cluster.members.map((m) => m.name).join(' '),
    ETCD_DRILL_ENV_DIR: envDir,
    ETCD_DRILL_SERVICE: service,
    ETCD_DRILL_BACKUP_DIR: cluster.backupDir,
    ETCD_DRILL_ETCD_VERSION: cluster.dist.version,
    ETCDCTL_API: '3',
    ETCDCTL_ENDPOINTS: cluster.members.map((m) => m.clientUrl).join(','),
    ...(pki
      ? { ETCDCTL_CACERT: pki.caFile, ETCDCTL_CERT: pki.client.cert, ETCDCTL_KEY: pki.client.key }
      : {}),
  });
}

/** Runs backup.sh or restore.sh of the runbook against this cluster, serving its units meanwhile. */
async function runPhaseScript(
  rb: Runbook,
  script: 'backup.sh' | 'restore.sh',
  cluster: Cluster,
  rec: Recorder,
  timeoutMs: number,
): Promise<void> {
  const dir = dirname(cluster.backupDir);
  // A copy in the run folder: its path labels the script for the crash sweep, and edits mid-run do not count.
  const copy = join(dir, 'runbook');
  if (!existsSync(copy)) await cp(rb.dir, copy, { recursive: true });
  const bin = join(dir, 'bin');
  if (!existsSync(bin)) await linkTools(cluster.dist, bin);
  const phase = script === 'backup.sh' ? 'backup' : 'restore';
  const { run, faults } = await rec.step(`${script} (${rb.title})`, async () => {
    await using service = await serveUnits(cluster, dir);
    const run = await runScript(join(copy, script), {
      cwd: copy,
      env: scriptEnv(cluster, service.command, bin),
      timeoutMs,
      signal: cluster.ctx.signal,
      logFile: join(dir, `runbook-${phase}.log`),
    });
    return { run, faults: await service.faults() };
  });
  const serviceFaults = faults.map((f) => `${f.verb} ${f.unit}: ${f.error.message}`);
  rec.note(phase === 'backup' ? 'runbookBackup' : 'runbookRestore', {
    exitCode: run.exitCode ?? null,
    hung: run.hung,
    durationMs: run.durationMs,
    tail: [...run.tail],
    ...(faults.length ? { serviceFaults } : {}),
  });
  if (faults.length) throw harnessFault(script, run, faults);
  if (run.hung) throw new Refusal('hung', script, hungQuote(timeoutMs), phase);
  if (run.exitCode !== 0) {
    const last = run.tail.slice(-QUOTE_LINES).join(' | ') || '(no output)';
    throw new Refusal('failed', script, `exit ${run.exitCode}: ${last}`, phase);
  }
}

/**
 * The script went on after a unit call failed on our side (whatever its exit): what it did next was
 * shaped by our failure, so the drill cannot judge the runbook. Unknown, with that failure as evidence.
 */
function harnessFault(script: string, run: ScriptRun, faults: readonly ServiceFault[]): HarnessError {
  const [first] = faults;
  const ended = run.hung ? 'hung' : `exited ${run.exitCode}`;
  return new HarnessError(
    'STRATEGY',
    `${script} ${ended} after etcd-drill failed to serve its units (${first?.verb} ${first?.unit}: ${first?.error.message}): the harness's failure, not the runbook's`,
    { details: { serviceFaults: faults.map((f) => ({ ...f })) } },
  );
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** What backup.sh left in $ETCD_DRILL_BACKUP_DIR: one file's sha256, or of the list of several. */
async function artifactOf(cluster: Cluster, rec: Recorder): Promise<BackupArtifact> {
  const files = await filesUnder(cluster.backupDir);
  if (files.length === 0)
    throw new Refusal('failed', 'backup.sh', 'exited 0 and left no file in $ETCD_DRILL_BACKUP_DIR', 'backup');
  const sums = await Promise.all(files.map(sha256File));
  const sha256 =
    files.length === 1
      ? (sums[0] ?? '')
      : createHash('sha256')
          .update(files.map((f, i) => `${sums[i]}  ${relative(cluster.backupDir, f)}\n`).join(''))
          .digest('hex');
  const bytes = (await Promise.all(files.map((f) => stat(f)))).reduce((n, s) => n + s.size, 0);
  const db = files.find((f) => f.endsWith('.db'));
  // The revision a v3 snapshot holds, when etcd can read it (a damaged one is the restore's to find).
  const status = db ? await snapshotStatus(cluster, db).catch(() => undefined) : undefined;
  if (status) rec.note('snapshot', { ...status });
  return { files, sha256, bytes, ...(status ? { revision: status.revision } : {}) };
}

/**
 * After restore.sh: the members it started, healthy with one leader. A cluster it left down is its
 * failure only where etcd says why (a panic, a fatal line, a cluster ID mismatch, an alarm); a wait
 * of ours that merely timed out is unknown.
 */
async function settle(cluster: Cluster, rec: Recorder): Promise<void> {
  const running = cluster.members.filter((m) => m.running);
  if (running.length === 0)
    throw new Refusal('failed', 'restore.sh', 'exited 0 with no member running', 'restore');
  await rec.step(
    `the members restore.sh started healthy (${running.map((m) => m.name).join(', ')})`,
    async () => {
      try {
        await cluster.waitHealthy(running);
      } catch (err) {
        const died = await Promise.all(cluster.members.map((m) => m.lastWords()));
        // A panic on start is the engine's to quote; an error that is no timeout is ours.
        if (died.some(Boolean) || !(err instanceof HarnessError) || err.code !== 'CLUSTER_UNHEALTHY')
          throw err;
        const says = (await etcdRefusal(cluster.members)) ?? alarmIn(err);
        if (says)
          throw new Refusal('failed', 'restore.sh', `exited 0, but ${err.message}; ${says}`, 'restore');
        // Not CLUSTER_UNHEALTHY: the engine's alarm list call can wait without end on a cluster with no quorum.
        throw new HarnessError(
          'TIMEOUT',
          `restore.sh exited 0, but ${err.message}, and no member's log says why: a timeout of the harness's, not a finding about the runbook`,
          { cause: err },
        );
      }
    },
  );
}

/** An alarm a member named as its reason for being unhealthy (etcd 3.4+): etcd's own answer. */
function alarmIn(err: HarnessError): string | undefined {
  const health = err.details?.health as HealthReport | undefined;
  const m = health?.members.find((x) => /^ALARM /.test(x.reason ?? ''));
  return m && `${m.name}: ${m.reason}`;
}

/** A team's runbook folder as a strategy: its scripts do the work, the harness serves the units and judges. */
export function runbookStrategy(rb: Runbook, opts: { timeoutMs?: number } = {}): Strategy {
  const timeoutMs = opts.timeoutMs ?? RUNBOOK_TIMEOUT_MS;
  return {
    name: `runbook:${basename(rb.dir)}`,
    title: `runbook ${rb.title} (${rb.dir})`,
    async supports(dist) {
      return targets(rb, dist.version)
        ? { ok: true }
        : {
            ok: false,
            reason: `the runbook targets etcd ${rb.etcd?.join(', ')} (runbook.yaml), not ${dist.version}`,
          };
    },
    rebuild: 'opaque',
    memberUnits: true,
    ...(rb.restores ? { restores: rb.restores } : {}),
    async backup(cluster, rec) {
      await runPhaseScript(rb, 'backup.sh', cluster, rec, timeoutMs);
      return artifactOf(cluster, rec);
    },
    async restore(_artifact, cluster, rec) {
      await runPhaseScript(rb, 'restore.sh', cluster, rec, timeoutMs);
      await settle(cluster, rec);
    },
  };
}
