import { z } from 'zod';
import type { Cluster, Member } from '../cluster/types.ts';
import { clusterOf } from '../engine/context.ts';
import { errorLine } from '../etcd/log-lines.ts';
import { PROBE_PREFIX } from '../probes/types.ts';
import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';

/** What a member left without quorum said: its health and what a write to it got. */
export interface SurvivorView {
  readonly healthy: boolean;
  readonly reason?: string;
  readonly leaderId?: string;
  /** etcd's words refusing the write, or 'accepted' (which would be a finding). */
  readonly write: string;
}

/** Asks a member its health and tries one bounded write through it (a probe key, outside the data checks). */
export async function survivorView(cluster: Cluster, survivor: Member): Promise<SurvivorView> {
  const [h] = (await cluster.health([survivor])).members;
  const write = await cluster
    .etcdctl(['--command-timeout=3s', 'put', `${PROBE_PREFIX}quorum-loss`, 'x'], { endpoints: [survivor] })
    .then(
      () => 'accepted',
      (err: unknown) => errorLine(String((err as { details?: { stderr?: unknown } }).details?.stderr ?? err)),
    );
  return {
    healthy: h?.healthy ?? false,
    ...(h?.reason ? { reason: h.reason } : {}),
    ...(h?.leaderId ? { leaderId: h.leaderId } : {}),
    write,
  };
}

/**
 * Two of three die with their disks (a majority, in general: all but `survivor`); the survivor keeps
 * its data dir. It is asked what it serves without quorum, then stopped (or killed) as an operator
 * would before a restore: a restore cannot start members that run.
 */
export async function loseQuorum(
  cluster: Cluster,
  survivor: Member,
  stopSurvivor: 'stop' | 'kill',
): Promise<{ description: string; evidence: Record<string, unknown> }> {
  const lost = cluster.members.filter((m) => m !== survivor);
  await Promise.all(lost.map((m) => m.kill()));
  for (const m of lost) await m.wipe();
  const view = await survivorView(cluster, survivor);
  await (stopSurvivor === 'kill' ? survivor.kill() : survivor.stop());
  const names = lost.map((m) => m.name).join(', ');
  return {
    description: `killed ${names} and removed their data dirs; ${survivor.name} kept its data and was ${stopSurvivor === 'kill' ? 'killed' : 'stopped'}`,
    evidence: { lost: lost.map((m) => m.name), survivor: survivor.name, survivorWithoutQuorum: view },
  };
}

/** Fault 5: the disaster that really needs a restore, with one member's data dir left behind. */
export const quorumLoss = defineFault({
  kind: 'quorum-loss',
  summary: 'all members but one killed with their data dirs lost; the survivor keeps its data and is stopped',
  params: {
    /** The member that keeps its data dir (etcd1: the one the write-up's procedures restore first). */
    survivor: TargetSchema.default('etcd1'),
    /** How the survivor goes down before the restore: stopped as an operator would, or killed. */
    survivorStop: z.enum(['stop', 'kill']).default('stop'),
  },
  defaultAt: { during: 'disaster' },
  providers: { process: true, container: true },
  disaster: true,
  build: (spec) => ({
    async inject(d) {
      return loseQuorum(clusterOf(d), await resolveTarget(d, spec.survivor), spec.survivorStop);
    },
  }),
});
