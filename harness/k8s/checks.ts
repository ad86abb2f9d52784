/**
 * Kubernetes-level checks on a control plane over (restored) etcd. Each polls until it holds or its
 * bound passes and returns evidence naming objects and pods; `ms` is the time until it held (or the
 * bound). Product misbehaviour is a result (ok: false), never thrown. An API that answers with an
 * error status is product behaviour; one that does not answer at all (no status: refused, timed
 * out), or an etcd that cannot be read, is "no answer": "not yet" while the bound runs, but a check
 * whose last look had no answer throws (HarnessError), which the caller grades as unknown.
 */
import { HarnessError, oneLine } from '../errors.ts';
import { type Access, withV3 } from '../etcd/api.ts';
import { type Answer, answer, poll } from '../util/poll.ts';
import type { KubeApi } from './api.ts';
import { KINDS, type Kind, type KObject, type ObjectRef, refOf, refString, statusOf } from './objects.ts';

export interface CheckOutcome {
  readonly ok: boolean;
  readonly evidence: Record<string, unknown>;
  /** Until ok, or until the bound when it never held. */
  readonly ms: number;
}

export interface CheckOptions {
  /** The run's abort signal: an abort ends the check at once by throwing (HarnessError 'ABORTED'). */
  readonly signal?: AbortSignal;
}

/** An object the API must serve, with what it must look like where that matters. */
export interface ExpectedObject {
  readonly ref: ObjectRef;
  /** Deployments: spec.replicas. */
  readonly replicas?: number;
  /** ConfigMaps and Secrets: data as served (Secrets base64). */
  readonly data?: Readonly<Record<string, string>>;
}

/** What the API should serve: `present` objects, none of `absent`, nothing else carrying `label`. */
export interface Expectation {
  /** The label every object of the fixture carries; served objects with it that are not expected are reported. */
  readonly label: { readonly key: string; readonly value: string };
  readonly present: readonly ExpectedObject[];
  readonly absent?: readonly ObjectRef[];
}

// ---- etcd keys (pure) ----

/** Where the apiserver keeps an object: /registry/<resource>/[<namespace>/]<name>. */
export function etcdKeyOf(ref: ObjectRef, prefix = '/registry'): string {
  const k = KINDS[ref.kind];
  return k.namespaced
    ? `${prefix}/${k.etcd}/${ref.namespace ?? ''}/${ref.name}`
    : `${prefix}/${k.etcd}/${ref.name}`;
}

// Longest resource paths first: services/specs before a hypothetical 'services'.
const BY_ETCD = Object.entries(KINDS)
  .map(([kind, k]) => ({ kind: kind as Kind, path: k.etcd as string, namespaced: k.namespaced as boolean }))
  .sort((a, b) => b.path.length - a.path.length);

/** The object an etcd key holds, for the kinds the harness knows; undefined for any other key. */
export function parseRegistryKey(key: string, prefix = '/registry'): ObjectRef | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const rest = key.slice(prefix.length + 1);
  for (const k of BY_ETCD) {
    if (!rest.startsWith(`${k.path}/`)) continue;
    const parts = rest.slice(k.path.length + 1).split('/');
    if (k.namespaced && parts.length === 2 && parts[0] && parts[1])
      return { kind: k.kind, namespace: parts[0], name: parts[1] };
    if (!k.namespaced && parts.length === 1 && parts[0]) return { kind: k.kind, name: parts[0] };
    return undefined;
  }
  return undefined;
}

/** Every object key under the prefix (keys only), with the revision it was read at. */
export async function etcdObjects(
  etcd: Access,
  prefix = '/registry',
): Promise<{ refs: ObjectRef[]; revision: number }> {
  const res = await withV3(etcd, (c) => c.getAll().prefix(`${prefix}/`).exec()).catch((err: unknown) => {
    throw new HarnessError('CLUSTER_UNHEALTHY', `could not read etcd's keys: ${oneLine(err)}`, {
      cause: err,
    });
  });
  const refs: ObjectRef[] = [];
  for (const kv of res.kvs) {
    const r = parseRegistryKey(kv.key.toString('utf8'), prefix);
    if (r) refs.push(r);
  }
  return { refs, revision: Number(res.header.revision) };
}

// ---- comparisons (pure) ----

export interface ServedObject {
  readonly ref: ObjectRef;
  readonly labels?: Readonly<Record<string, string>>;
  readonly replicas?: number;
  readonly data?: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
}

export interface ExactDiff {
  /** Expected present, not served. */
  readonly missing: string[];
  /** Expected absent, served. */
  readonly resurrected: string[];
  /** Served with the fixture label, neither expected present nor absent. */
  readonly unexpected: string[];
  /** Served, but not as expected (replicas, data). */
  readonly differs: { object: string; field: string; expected: unknown; served: unknown }[];
  /** Served by the API without a key in etcd (a cache or a stale read). */
  readonly servedNotInEtcd: string[];
  /** In etcd, not served (an object the apiserver cannot read, or does not list). */
  readonly inEtcdNotServed: string[];
}

function sameData(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
) {
  const ea = Object.entries(a ?? {}).sort(([x], [y]) => x.localeCompare(y));
  const eb = Object.entries(b ?? {}).sort(([x], [y]) => x.localeCompare(y));
  return JSON.stringify(ea) === JSON.stringify(eb);
}

/** The scope a comparison covers: the expectation's kinds, in its namespaces. */
export function scopeOf(e: Expectation): { kinds: Kind[]; namespaces: string[] } {
  const refs = [...e.present.map((p) => p.ref), ...(e.absent ?? [])];
  const kinds = [...new Set(refs.map((r) => r.kind))];
  const namespaces = [
    ...new Set(refs.flatMap((r) => (r.kind === 'Namespace' ? [r.name] : r.namespace ? [r.namespace] : []))),
  ];
  return { kinds, namespaces };
}

export function inScope(
  ref: ObjectRef,
  scope: { kinds: readonly Kind[]; namespaces: readonly string[] },
): boolean {
  if (!scope.kinds.includes(ref.kind)) return false;
  if (ref.kind === 'Namespace') return scope.namespaces.includes(ref.name);
  return !KINDS[ref.kind].namespaced || scope.namespaces.includes(ref.namespace ?? '');
}

/** Compares what the API served and what etcd holds with the expectation, within its scope. */
export function diffExact(
  e: Expectation,
  served: readonly ServedObject[],
  etcdRefs: readonly ObjectRef[],
): ExactDiff {
  const scope = scopeOf(e);
  const servedIn = served.filter((s) => inScope(s.ref, scope));
  const byRef = new Map(servedIn.map((s) => [refString(s.ref), s]));
  const etcdIn = new Set(etcdRefs.filter((r) => inScope(r, scope)).map(refString));
  const presentKeys = new Set(e.present.map((p) => refString(p.ref)));
  const absentKeys = new Set((e.absent ?? []).map(refString));
  const differs: ExactDiff['differs'] = [];
  for (const p of e.present) {
    const s = byRef.get(refString(p.ref));
    if (!s) continue;
    if (p.replicas !== undefined && s.replicas !== p.replicas)
      differs.push({
        object: refString(p.ref),
        field: 'spec.replicas',
        expected: p.replicas,
        served: s.replicas,
      });
    if (p.data !== undefined && !sameData(p.data, s.data))
      differs.push({ object: refString(p.ref), field: 'data', expected: p.data, served: s.data });
  }
  return {
    missing: [...presentKeys].filter((k) => !byRef.has(k)),
    resurrected: [...absentKeys].filter((k) => byRef.has(k)),
    unexpected: servedIn
      .filter((s) => s.labels?.[e.label.key] === e.label.value)
      .map((s) => refString(s.ref))
      .filter((k) => !presentKeys.has(k) && !absentKeys.has(k)),
    differs,
    servedNotInEtcd: [...byRef.keys()].filter((k) => !etcdIn.has(k)),
    inEtcdNotServed: [...etcdIn].filter((k) => !byRef.has(k)),
  };
}

export function diffIsEmpty(d: ExactDiff): boolean {
  return Object.values(d).every((v) => (v as unknown[]).length === 0);
}

export interface CacheDiff {
  /** Served from the watch cache, gone from a quorum read: what a restore left stale. */
  readonly staleInCache: string[];
  /** In a quorum read, not (yet) in the watch cache. */
  readonly missingFromCache: string[];
  /** Both, but the cache holds another version of it. */
  readonly otherVersionInCache: { object: string; cache: string; quorum: string }[];
  /** The quorum read against etcd's keys (sanity: should always agree). */
  readonly quorumNotInEtcd: string[];
  readonly etcdNotInQuorum: string[];
}

export function diffCache(
  cache: readonly ServedObject[],
  quorum: readonly ServedObject[],
  etcdRefs: readonly ObjectRef[],
): CacheDiff {
  const c = new Map(cache.map((s) => [refString(s.ref), s]));
  const q = new Map(quorum.map((s) => [refString(s.ref), s]));
  const e = new Set(etcdRefs.map(refString));
  const other: CacheDiff['otherVersionInCache'] = [];
  for (const [k, s] of c) {
    const qs = q.get(k);
    if (qs && qs.resourceVersion !== s.resourceVersion)
      other.push({ object: k, cache: s.resourceVersion ?? '', quorum: qs.resourceVersion ?? '' });
  }
  return {
    staleInCache: [...c.keys()].filter((k) => !q.has(k)),
    missingFromCache: [...q.keys()].filter((k) => !c.has(k)),
    otherVersionInCache: other,
    quorumNotInEtcd: [...q.keys()].filter((k) => !e.has(k)),
    etcdNotInQuorum: [...e].filter((k) => !q.has(k)),
  };
}

// ---- polling ----

interface Poll {
  ok: boolean;
  evidence: Record<string, unknown>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** No answer: the API did not answer with a status (refused, timed out), or etcd could not be read. */
export function noAnswer(err: unknown): boolean {
  return statusOf(err) === undefined;
}

/** The harness's failure to look, as a check's throw: the caller grades it unknown, evidence kept. */
function unanswered(what: string, err: unknown, evidence: Record<string, unknown>): HarnessError {
  return new HarnessError('CLUSTER_UNHEALTHY', `${what}: ${oneLine(err)}`, {
    cause: err,
    details: { evidence },
  });
}

/**
 * Runs `probe` until ok or the bound. A look the API answered with an error status counts as not ok,
 * its error kept as evidence; a look without an answer too, but if the last look had none, it throws.
 */
export async function pollUntil(
  boundMs: number,
  probe: () => Promise<Poll>,
  opts: CheckOptions & { everyMs?: number } = {},
): Promise<CheckOutcome> {
  let evidence: Record<string, unknown> = {};
  const r = await poll(
    async () => {
      const got = await answer(probe, opts.signal);
      evidence = got.ok ? got.value.evidence : { ...evidence, error: message(got.error) };
      return got;
    },
    {
      boundMs,
      intervalMs: opts.everyMs ?? 500,
      what: 'running a Kubernetes check',
      done: (g) => g.ok && g.value.ok,
      signal: opts.signal,
    },
  );
  const polls = r.looks;
  if (r.done) return { ok: true, evidence: { ...evidence, polls }, ms: r.ms };
  if (!r.last.ok && noAnswer(r.last.error))
    throw unanswered(`no answer on the last look of ${boundMs} ms`, r.last.error, { ...evidence, polls });
  return { ok: false, evidence: { ...evidence, polls, boundMs }, ms: r.ms };
}

function served(kind: Kind, o: KObject): ServedObject {
  return {
    ref: refOf(kind, o),
    ...(o.metadata.labels ? { labels: o.metadata.labels } : {}),
    ...(kind === 'Deployment' ? { replicas: o.spec?.replicas as number } : {}),
    ...(kind === 'ConfigMap' || kind === 'Secret' ? { data: o.data ?? {} } : {}),
    ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}),
  };
}

async function listScope(
  api: KubeApi,
  scope: { kinds: readonly Kind[]; namespaces: readonly string[] },
  resourceVersion?: string,
): Promise<{ objects: ServedObject[]; resourceVersions: Record<string, string> }> {
  const objects: ServedObject[] = [];
  const resourceVersions: Record<string, string> = {};
  for (const kind of scope.kinds) {
    const res = await api.list(kind, resourceVersion !== undefined ? { resourceVersion } : {});
    resourceVersions[kind] = res.resourceVersion;
    for (const o of res.items) {
      const s = served(kind, o);
      if (inScope(s.ref, scope)) objects.push(s);
    }
  }
  return { objects, resourceVersions };
}

// ---- the checks ----

/**
 * The API (quorum reads) serves exactly the expected objects: every present one as described, no
 * absent one, no other object with the fixture's label; and what it serves matches etcd's keys.
 */
export async function apiServesExactly(
  api: KubeApi,
  etcd: Access,
  expected: Expectation,
  opts: CheckOptions & { boundMs?: number } = {},
): Promise<CheckOutcome> {
  const scope = scopeOf(expected);
  return pollUntil(
    opts.boundMs ?? 5000,
    async () => {
      const { objects, resourceVersions } = await listScope(api, scope);
      const { refs, revision } = await etcdObjects(etcd);
      const diff = diffExact(expected, objects, refs);
      return {
        ok: diffIsEmpty(diff),
        evidence: {
          ...diff,
          served: objects.length,
          expectedPresent: expected.present.length,
          expectedAbsent: expected.absent?.length ?? 0,
          listResourceVersions: resourceVersions,
          etcdRevision: revision,
        },
      };
    },
    opts,
  );
}

/** Labels the check's own objects carry, so a report (or a later check) can find them. */
export const CHECK_LABEL = 'etcd-drill.io/check';

/** A Deployment of `replicas` pause pods (never pulled: no kubelet runs). */
export function checkDeployment(
  namespace: string,
  name: string,
  replicas: number,
  extra: Partial<{ nodeSelector: Record<string, string> }> = {},
): KObject {
  return {
    metadata: { name, namespace, labels: { app: name, [CHECK_LABEL]: 'true' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, [CHECK_LABEL]: 'true' } },
        spec: {
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.2' }],
          ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
        },
      },
    },
  };
}

async function ensureNamespace(api: KubeApi, name: string): Promise<void> {
  if (await api.get({ kind: 'Namespace', name })) return;
  try {
    await api.create('Namespace', { metadata: { name, labels: { [CHECK_LABEL]: 'true' } } });
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

function ownedBy(o: KObject, uid: string | undefined): boolean {
  return uid !== undefined && (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
}

/** Recent events about these objects, in the words of the controller that failed (e.g. FailedCreate). */
async function eventsAbout(api: KubeApi, namespace: string, names: readonly string[]): Promise<string[]> {
  const evs = await api.list('Event', { namespace }).catch(() => ({ items: [] as KObject[] }));
  return evs.items
    .filter((e) => names.includes((e.involvedObject as { name?: string } | undefined)?.name ?? ''))
    .slice(-8)
    .map(
      (e) =>
        `${(e.involvedObject as { kind?: string }).kind} ${(e.involvedObject as { name?: string }).name}: ${e.reason as string}: ${e.message as string}`,
    );
}

/**
 * Controllers reconcile: creates Deployment ns/name (creating ns if needed) and waits until its
 * ReplicaSet exists and owns `replicas` pods. Evidence names the ReplicaSet, the pods, and on
 * failure the controllers' events.
 */
export async function deploymentReconciles(
  api: KubeApi,
  namespace: string,
  name: string,
  replicas: number,
  boundMs: number,
  opts: CheckOptions & { nodeSelector?: Record<string, string> } = {},
): Promise<CheckOutcome> {
  const t0 = Date.now();
  let uid: string | undefined;
  try {
    await ensureNamespace(api, namespace);
    const created = await api.create(
      'Deployment',
      checkDeployment(
        namespace,
        name,
        replicas,
        opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {},
      ),
    );
    uid = created.metadata.uid;
  } catch (err) {
    const evidence = { deployment: `${namespace}/${name}`, createFailed: message(err) };
    if (noAnswer(err)) throw unanswered(`could not create Deployment ${namespace}/${name}`, err, evidence);
    return { ok: false, evidence, ms: Date.now() - t0 };
  }
  const outcome = await pollUntil(
    Math.max(0, boundMs - (Date.now() - t0)),
    async () => {
      const rss = (await api.list('ReplicaSet', { namespace })).items.filter((r) => ownedBy(r, uid));
      const rsUids = new Set(rss.map((r) => r.metadata.uid));
      const pods = (await api.list('Pod', { namespace })).items.filter((p) =>
        (p.metadata.ownerReferences ?? []).some((r) => rsUids.has(r.uid)),
      );
      const ok = rss.length > 0 && pods.length >= replicas;
      return {
        ok,
        evidence: {
          deployment: `${namespace}/${name}`,
          uid,
          selector: `app=${name}`,
          replicaSets: rss.map((r) => r.metadata.name),
          pods: pods.map((p) => p.metadata.name).sort(),
          wantPods: replicas,
          ...(ok
            ? {}
            : { events: await eventsAbout(api, namespace, [name, ...rss.map((r) => r.metadata.name)]) }),
        },
      };
    },
    opts,
  );
  return { ...outcome, ms: Date.now() - t0 };
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Nodes as the scheduler sees them: Ready or not, and their taints. */
async function nodeEvidence(api: KubeApi): Promise<{ name: string; ready: string; taints: string[] }[]> {
  const nodes = await api.list('Node');
  return nodes.items.map((n) => ({
    name: n.metadata.name,
    ready: ((n.status?.conditions ?? []) as Condition[]).find((c) => c.type === 'Ready')?.status ?? 'Unknown',
    taints: ((n.spec?.taints ?? []) as { key: string; effect: string }[]).map((t) => `${t.key}:${t.effect}`),
  }));
}

/**
 * The scheduler schedules: every pod matching `selector` in ns gets a nodeName within the bound (and
 * at least `min` pods exist). On failure the evidence lists the unscheduled pods with the scheduler's
 * reason, and the nodes with their readiness and taints.
 */
export async function podsScheduled(
  api: KubeApi,
  namespace: string,
  selector: string,
  boundMs: number,
  opts: CheckOptions & { min?: number } = {},
): Promise<CheckOutcome> {
  const min = opts.min ?? 1;
  let nodes: Awaited<ReturnType<typeof nodeEvidence>> = [];
  const outcome = await pollUntil(
    boundMs,
    async () => {
      const pods = (await api.list('Pod', { namespace, labelSelector: selector })).items;
      const scheduled: Record<string, string> = {};
      const unscheduled: { pod: string; reason: string }[] = [];
      for (const p of pods) {
        if (p.spec?.nodeName) scheduled[p.metadata.name] = p.spec.nodeName as string;
        else {
          const c = ((p.status?.conditions ?? []) as Condition[]).find((x) => x.type === 'PodScheduled');
          unscheduled.push({
            pod: p.metadata.name,
            reason: c
              ? `${c.reason ?? c.status}: ${c.message ?? ''}`.trim()
              : 'no PodScheduled condition (the scheduler has not tried)',
          });
        }
      }
      return {
        ok: pods.length >= min && unscheduled.length === 0,
        evidence: { namespace, selector, pods: pods.length, min, scheduled, unscheduled },
      };
    },
    opts,
  );
  if (!outcome.ok) nodes = await nodeEvidence(api).catch(() => []);
  return outcome.ok ? outcome : { ...outcome, evidence: { ...outcome.evidence, nodes } };
}

/** What controllers create in every namespace (the root CA ConfigMap, service accounts and their token Secrets), and pods. */
const IN_EVERY_NAMESPACE: readonly Kind[] = ['ConfigMap', 'Secret', 'ServiceAccount', 'ReplicaSet', 'Pod'];

/**
 * Nothing acts on objects that must stay absent (removed by the restore): for the whole bound, none
 * of them is served, for absent Deployments and ReplicaSets no ReplicaSet or pod that they would own
 * appears, and nothing appears inside an absent Namespace (a controller acting on a stale cache:
 * kube-controller-manager's root CA publisher re-created its ConfigMap in a namespace the restore
 * had removed, seen 2026-12-01). ms: until the first sighting, or the bound. With `leftoverBefore`
 * (the restart's time), a sighting created before it is marked a leftover: an orphan a restart did
 * not remove, not one the restarted components made; it still fails the check.
 * Throws when nothing was seen but the last look failed: absence not looked at is not absence.
 */
export async function noOrphansRecreated(
  api: KubeApi,
  absent: readonly ObjectRef[],
  boundMs: number,
  opts: CheckOptions & { everyMs?: number; leftoverBefore?: number } = {},
): Promise<CheckOutcome> {
  const t0 = Date.now();
  const seen = new Map<
    string,
    { object: string; atMs: number; uid?: string; created?: unknown; leftover?: boolean }
  >();
  const errors: string[] = [];
  const see = (what: string, o: KObject) => {
    if (seen.has(what)) return;
    const created = o.metadata.creationTimestamp;
    // creationTimestamp has whole seconds, never later than the real time: before the restart is before it.
    const before = opts.leftoverBefore;
    seen.set(what, {
      object: what,
      atMs: Date.now() - t0,
      uid: o.metadata.uid,
      created,
      ...(before !== undefined && created
        ? { leftover: new Date(created as string).getTime() < before }
        : {}),
    });
  };
  const goneNamespaces = absent.filter((r) => r.kind === 'Namespace').map((r) => r.name);
  // An owner in a removed namespace needs no look of its own: everything in that namespace is listed.
  const owners = absent.filter(
    (r) =>
      (r.kind === 'Deployment' || r.kind === 'ReplicaSet') && !goneNamespaces.includes(r.namespace ?? ''),
  );
  const namespaces = [...new Set(owners.map((r) => r.namespace ?? ''))];
  const look = async () => {
    for (const r of absent) {
      const o = await api.get(r);
      if (o) see(refString(r), o);
    }
    for (const ns of goneNamespaces)
      for (const kind of IN_EVERY_NAMESPACE)
        for (const o of (await api.list(kind, { namespace: ns })).items)
          see(`${kind} ${ns}/${o.metadata.name} (in ${refString({ kind: 'Namespace', name: ns })})`, o);
    for (const ns of namespaces) {
      const rss = (await api.list('ReplicaSet', { namespace: ns })).items;
      const pods = (await api.list('Pod', { namespace: ns })).items;
      for (const r of owners.filter((o) => o.namespace === ns)) {
        // Dependants by name: the absent owner's uid is unknown (it was never seen after the restore).
        const rsOf = rss.filter((x) =>
          r.kind === 'Deployment'
            ? (x.metadata.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && o.name === r.name)
            : x.metadata.name === r.name,
        );
        for (const x of rsOf) see(`ReplicaSet ${ns}/${x.metadata.name} (of ${refString(r)})`, x);
        const rsNames = new Set([
          ...rsOf.map((x) => x.metadata.name),
          ...(r.kind === 'ReplicaSet' ? [r.name] : []),
        ]);
        for (const p of pods) {
          if ((p.metadata.ownerReferences ?? []).some((o) => o.kind === 'ReplicaSet' && rsNames.has(o.name)))
            see(`Pod ${ns}/${p.metadata.name} (of ${refString(r)})`, p);
        }
      }
    }
  };
  let answered = 0;
  const r = await poll(
    async () => {
      const got = await answer(look, opts.signal);
      if (got.ok) answered++;
      else errors.push(message(got.error));
      return got;
    },
    {
      boundMs,
      intervalMs: opts.everyMs ?? 500,
      signal: opts.signal,
      what: 'watching for recreated objects',
      done: () => seen.size > 0,
    },
  );
  const ok = seen.size === 0;
  const evidence = {
    absent: absent.map(refString),
    seen: [...seen.values()],
    watchedMs: r.ms,
    polls: r.looks,
    answeredPolls: answered,
    ...(errors.length > 0 ? { errors: [...new Set(errors)].slice(0, 5) } : {}),
  };
  // A sighting is a finding whatever else failed. Nothing seen proves nothing unless the last look
  // answered: objects recreated during a failed look would still be there for it.
  if (ok && !r.last.ok) throw unanswered('could not watch for recreated objects', r.last.error, evidence);
  // ok: it held for the whole bound; not ok: the first sighting.
  return { ok, evidence, ms: ok ? r.ms : Math.min(...[...seen.values()].map((s) => s.atMs)) };
}

export const LEASE_NAMES = ['kube-controller-manager', 'kube-scheduler'] as const;
export type LeaseName = (typeof LEASE_NAMES)[number];
export type LeaseHolders = Readonly<Record<LeaseName, string | undefined>>;

interface LeaseView {
  holder?: string;
  renewTime?: string;
  acquireTime?: string;
  transitions?: number;
  durationSeconds?: number;
}

async function readLease(api: KubeApi, name: LeaseName): Promise<LeaseView> {
  const l = await api.get({ kind: 'Lease', namespace: 'kube-system', name });
  const s = (l?.spec ?? {}) as {
    holderIdentity?: string;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
    leaseDurationSeconds?: number;
  };
  return {
    ...(s.holderIdentity ? { holder: s.holderIdentity } : {}),
    ...(s.renewTime ? { renewTime: s.renewTime } : {}),
    ...(s.acquireTime ? { acquireTime: s.acquireTime } : {}),
    ...(s.leaseTransitions !== undefined ? { transitions: s.leaseTransitions } : {}),
    ...(s.leaseDurationSeconds !== undefined ? { durationSeconds: s.leaseDurationSeconds } : {}),
  };
}

/** Current holders of the controller-manager's and scheduler's Leases (before a restart, say). */
export async function leaseHolders(api: KubeApi): Promise<LeaseHolders> {
  const [kcm, sched] = await Promise.all(LEASE_NAMES.map((n) => readLease(api, n)));
  return { 'kube-controller-manager': kcm?.holder, 'kube-scheduler': sched?.holder };
}

/**
 * Leader election works: each of kube-system's kube-controller-manager and kube-scheduler Leases has
 * a holder that renews (its renewTime advances while we watch). With `previous` (holders before a
 * restart), the holder must be a new one: ms is then the time until a new holder renews.
 */
export async function leaderElection(
  api: KubeApi,
  opts: CheckOptions & { boundMs?: number; previous?: LeaseHolders } = {},
): Promise<CheckOutcome> {
  const t0 = Date.now();
  const first = new Map<string, string | undefined>(); // holder -> first renewTime seen
  const state: Record<string, Record<string, unknown>> = {};
  return pollUntil(
    opts.boundMs ?? 15_000,
    async () => {
      let all = true;
      for (const name of LEASE_NAMES) {
        const v = await readLease(api, name);
        const key = `${name}/${v.holder ?? ''}`;
        if (v.holder && !first.has(key)) first.set(key, v.renewTime);
        const old = opts.previous?.[name];
        const newHolder = old === undefined || (v.holder !== undefined && v.holder !== old);
        const renewing =
          v.holder !== undefined && v.renewTime !== undefined && v.renewTime !== first.get(key);
        const ok = newHolder && renewing;
        const was = state[name];
        state[name] = {
          ...v,
          firstRenewSeen: first.get(key),
          renewing,
          ...(old !== undefined ? { previousHolder: old, newHolder } : {}),
          ...(ok ? { okAfterMs: (was?.okAfterMs as number | undefined) ?? Date.now() - t0 } : {}),
        };
        all &&= ok;
      }
      return { ok: all, evidence: { leases: state } };
    },
    { ...opts, everyMs: 500 },
  );
}

/**
 * Leader election after a restart: a new holder must renew. Without the holders from before the
 * restart a new holder cannot be told from the old one, so the check cannot be judged: it throws.
 */
export async function leaderElectionAfterRestart(
  api: KubeApi,
  before: Answer<LeaseHolders>,
  opts: CheckOptions & { boundMs?: number } = {},
): Promise<CheckOutcome> {
  if (!before.ok) throw unanswered('could not read the lease holders before the restart', before.error, {});
  return leaderElection(api, { ...opts, previous: before.value });
}

/**
 * The apiserver's watch cache agrees with etcd: a list at resourceVersion=0 (served from the cache,
 * as informers start) has the same objects, at the same versions, as a quorum list; and the quorum
 * list matches etcd's keys. Evidence names stale objects (in the cache, gone from etcd).
 */
export async function watchCacheAgrees(
  api: KubeApi,
  etcd: Access,
  scope: { kinds: readonly Kind[]; namespaces: readonly string[] },
  opts: CheckOptions & { boundMs?: number } = {},
): Promise<CheckOutcome> {
  return pollUntil(
    opts.boundMs ?? 10_000,
    async () => {
      const cache = await listScope(api, scope, '0');
      const quorum = await listScope(api, scope);
      const { refs, revision } = await etcdObjects(etcd);
      const diff = diffCache(
        cache.objects,
        quorum.objects,
        refs.filter((r) => inScope(r, scope)),
      );
      return {
        ok: Object.values(diff).every((v) => (v as unknown[]).length === 0),
        evidence: {
          ...diff,
          cached: cache.objects.length,
          quorum: quorum.objects.length,
          cacheResourceVersions: cache.resourceVersions,
          quorumResourceVersions: quorum.resourceVersions,
          etcdRevision: revision,
        },
      };
    },
    opts,
  );
}
