/**
 * The kubelet checks (KUBELET_CHECKS, kind only): what the nodes run after a restore, next to what the
 * API says. A kubelet keeps running what it was told before the disaster until its watch tells it
 * otherwise, which a restore to an older revision may never do.
 */
import type { KObject, KubeApi } from './api.ts';
import { type CheckOptions, type CheckOutcome, pollUntil } from './checks.ts';

/** A kubelet-started container running on a node, with its pod (containerd's CRI labels). */
export interface RuntimeContainer {
  readonly node: string;
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
  readonly container: string;
}

/** Reads every node's running containers (kind: containerd in each node container). */
export interface NodeRuntime {
  running(): Promise<RuntimeContainer[]>;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** A kubelet renews its node's Lease every 10 s (1.20); its Node status only every 5 min when unchanged. */
export const LEASE_FRESH_MS = 40_000;

export function podRef(p: KObject): PodRef {
  return { namespace: p.metadata.namespace ?? '', name: p.metadata.name, uid: String(p.metadata.uid ?? '') };
}

export function isReady(o: KObject): boolean {
  const conds = (o.status?.conditions ?? []) as { type: string; status: string }[];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Why each pod is not running, by the API and by its node's runtime; empty when all run. */
export function notRunning(
  pods: readonly KObject[],
  running: readonly RuntimeContainer[],
): { pod: string; node: string; why: string }[] {
  const on = new Set(running.map((c) => `${c.node} ${c.uid}`));
  return pods.flatMap((p) => {
    const node = String(p.spec?.nodeName ?? '');
    const why = [
      ...(p.status?.phase !== 'Running' ? [`phase ${p.status?.phase ?? 'none'} in the API`] : []),
      ...(isReady(p) ? [] : ['not Ready in the API']),
      ...(on.has(`${node} ${p.metadata.uid}`) ? [] : [`no running container on ${node || 'any node'}`]),
    ];
    return why.length
      ? [{ pod: `${p.metadata.namespace}/${p.metadata.name}`, node, why: why.join(', ') }]
      : [];
  });
}

/** The pods of `removed` that still have a running container, and where. */
export function stillRunning(
  removed: readonly PodRef[],
  running: readonly RuntimeContainer[],
): { pod: string; node: string }[] {
  const gone = new Map(removed.map((p) => [p.uid, `${p.namespace}/${p.name}`]));
  const seen = new Set<string>();
  return running.flatMap((c) => {
    const pod = gone.get(c.uid);
    if (!pod || seen.has(`${c.node} ${c.uid}`)) return [];
    seen.add(`${c.node} ${c.uid}`);
    return [{ pod, node: c.node }];
  });
}

/** A Lease renewed within LEASE_FRESH_MS of `now` and not before `since`. */
export function leaseFresh(lease: KObject | undefined, now: number, since: number): boolean {
  const renewed = Date.parse(String(lease?.spec?.renewTime ?? ''));
  return now - renewed < LEASE_FRESH_MS && renewed >= since;
}

/** Why nodes are stale: not Ready, or their kubelet not renewing its node Lease since `since`. */
export async function staleNodes(api: KubeApi, now: number, since: number): Promise<string[]> {
  const stale: string[] = [];
  for (const n of (await api.list('Node')).items) {
    if (!isReady(n)) stale.push(`${n.metadata.name} not Ready`);
    const lease = await api.get({ kind: 'Lease', namespace: 'kube-node-lease', name: n.metadata.name });
    if (!leaseFresh(lease, now, since)) stale.push(`${n.metadata.name}'s kubelet not renewing its lease`);
  }
  return stale;
}

/** Every pod of the selector in each namespace runs, and at least `min[namespace]` of them. */
export function podsRunning(
  api: KubeApi,
  runtime: NodeRuntime,
  min: Readonly<Record<string, number>>,
  selector: string,
  boundMs: number,
  opts: CheckOptions = {},
): Promise<CheckOutcome> {
  return pollUntil(
    boundMs,
    async () => {
      const running = await runtime.running();
      const evidence: Record<string, unknown> = {};
      let ok = true;
      for (const [namespace, want] of Object.entries(min)) {
        const pods = (await api.list('Pod', { namespace, labelSelector: selector })).items;
        const bad = notRunning(pods, running);
        ok &&= bad.length === 0 && pods.length >= want;
        evidence[namespace] = { pods: pods.length, min: want, notRunning: bad };
      }
      return { ok, evidence };
    },
    { ...opts, everyMs: 2000 },
  );
}

/** Every node Ready, its kubelet renewing its Lease after `since` (the mode's start). */
export function nodeStatusUpdates(
  api: KubeApi,
  since: number,
  boundMs: number,
  opts: CheckOptions = {},
): Promise<CheckOutcome> {
  return pollUntil(
    boundMs,
    async () => {
      const stale = await staleNodes(api, Date.now(), since);
      return { ok: stale.length === 0, evidence: { stale, since: new Date(since).toISOString() } };
    },
    { ...opts, everyMs: 2000 },
  );
}

/**
 * No container of `removed` (pods that ran before the disaster, of objects the restore removed)
 * still runs on any node. Throws, for unknown, when there is nothing to judge.
 */
export async function removedPodsStopped(
  runtime: NodeRuntime,
  removed: readonly PodRef[],
  boundMs: number,
  opts: CheckOptions = {},
): Promise<CheckOutcome> {
  if (removed.length === 0)
    throw new Error(
      'no pod of the objects created after the backup ran before the disaster: nothing to judge',
    );
  return pollUntil(
    boundMs,
    async () => {
      const still = stillRunning(removed, await runtime.running());
      return { ok: still.length === 0, evidence: { removed: removed.length, stillRunning: still } };
    },
    { ...opts, everyMs: 2000 },
  );
}
