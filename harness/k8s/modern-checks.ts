/**
 * The Kubernetes 1.36 storage-layer checks (MODERN_K8S_CHECKS), each polling until it holds or its
 * bound. "etcd's objects" are the custom-object keys read straight from etcd with their mod_revision,
 * which the API serves as metadata.resourceVersion. As in checks.ts: product behaviour is a result
 * (ok: false); a harness that could not look (no answer from the API, etcd unreadable) throws.
 */
import { HarnessError, oneLine } from '../errors.ts';
import { type Access, currentRevision } from '../etcd/api.ts';
import { pause } from '../util/poll.ts';
import { type CheckOutcome, pollUntil } from './checks.ts';
import type { Informer } from './informer.ts';
import { type ModernApi, type ResourceRef, resourcePath, type WatchEvent } from './modern-apiserver.ts';
import { etcdModernObjects, MODERN_GROUP, modernObject, objectId } from './modern-workload.ts';
import { statusOf } from './objects.ts';

export interface ModernCheckInput {
  readonly api: ModernApi;
  readonly etcd: Access;
  readonly refs: readonly ResourceRef[];
  readonly signal?: AbortSignal;
  readonly boundMs?: number;
}

export const MODERN_BOUND = { list: 10_000, write: 15_000, watch: 10_000, informer: 10_000, metrics: 10_000 };

// ---- comparisons (pure) ----

export interface ObjectsDiff {
  /** Served, no key in etcd (a stale cache, or a write the restore removed). */
  readonly extra: string[];
  /** In etcd, not served. */
  readonly missing: string[];
  /** Both, at another resourceVersion than etcd's mod_revision. */
  readonly otherVersion: { object: string; served: string; etcd: string }[];
}

/** Served (id → resourceVersion) against etcd (id → mod_revision). */
export function diffObjects(
  served: ReadonlyMap<string, string>,
  etcd: ReadonlyMap<string, string>,
): ObjectsDiff {
  const otherVersion: ObjectsDiff['otherVersion'] = [];
  for (const [id, rv] of served) {
    const e = etcd.get(id);
    if (e !== undefined && e !== rv) otherVersion.push({ object: id, served: rv, etcd: e });
  }
  return {
    extra: [...served.keys()].filter((id) => !etcd.has(id)).sort(),
    missing: [...etcd.keys()].filter((id) => !served.has(id)).sort(),
    otherVersion,
  };
}

export function sameObjects(d: ObjectsDiff): boolean {
  return d.extra.length + d.missing.length + d.otherVersion.length === 0;
}

/**
 * The watch cache's resourceVersion per resource from /metrics text: the gauge
 * `apiserver_watch_cache_resource_version` (k8s.io/apiserver/pkg/storage/cacher/metrics/metrics.go
 * 0.36: labels `group`, `resource`); a single `resource` label `<plural>.<group>` is read too.
 */
export function watchCacheRevisions(metrics: string, group: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = /^apiserver_watch_cache_resource_version\{([^}]*)\}\s+(\S+)/;
  for (const line of metrics.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    const resource = labels.resource ?? '';
    const name = labels.group !== undefined ? `${resource}.${labels.group}` : resource;
    if (name.endsWith(`.${group}`)) out.set(name.slice(0, -group.length - 1), Number(m[2]));
  }
  return out;
}

// ---- looks ----

async function listed(input: ModernCheckInput, resourceVersion?: string) {
  const objects = new Map<string, string>();
  const resourceVersions: Record<string, string> = {};
  for (const ref of input.refs) {
    const res = await input.api.list(ref, resourceVersion !== undefined ? { resourceVersion } : {});
    resourceVersions[ref.plural] = res.resourceVersion;
    for (const o of res.items) objects.set(objectId(ref.plural, o), o.metadata.resourceVersion ?? '');
  }
  return { objects, resourceVersions };
}

const opts = (input: ModernCheckInput) => (input.signal ? { signal: input.signal } : {});

/** A list (quorum, or rv=0 from the watch cache) serves exactly etcd's objects. */
function listMatches(input: ModernCheckInput, resourceVersion?: string): Promise<CheckOutcome> {
  return pollUntil(
    input.boundMs ?? MODERN_BOUND.list,
    async () => {
      const served = await listed(input, resourceVersion);
      const etcd = await etcdModernObjects(input.etcd);
      const diff = diffObjects(served.objects, etcd.objects);
      const evidence = { ...diff, served: served.objects.size, inEtcd: etcd.objects.size };
      return {
        ok: sameObjects(diff),
        evidence: { ...evidence, listResourceVersions: served.resourceVersions, etcdRevision: etcd.revision },
      };
    },
    opts(input),
  );
}

export const quorumList = (input: ModernCheckInput) => listMatches(input);
export const cacheList = (input: ModernCheckInput) => listMatches(input, '0');

/** etcd's current revision; a failed read is the harness's (no answer), never a product outcome. */
async function etcdRevision(etcd: Access): Promise<number> {
  return currentRevision(etcd).catch((err: unknown) => {
    throw new HarnessError('CLUSTER_UNHEALTHY', `could not read etcd's revision: ${oneLine(err)}`, {
      cause: err,
    });
  });
}

/** Read etcd's revision r1, a quorum list's resourceVersion rv, then r2: ok iff r1 ≤ rv ≤ r2 for every resource. */
export function listRevision(input: ModernCheckInput): Promise<CheckOutcome> {
  return pollUntil(
    input.boundMs ?? MODERN_BOUND.list,
    async () => {
      const r1 = await etcdRevision(input.etcd);
      const { resourceVersions } = await listed(input);
      const r2 = await etcdRevision(input.etcd);
      const outside = Object.entries(resourceVersions).filter(
        ([, rv]) => !(r1 <= Number(rv) && Number(rv) <= r2),
      );
      return {
        ok: outside.length === 0,
        evidence: { etcdBefore: r1, listResourceVersions: resourceVersions, etcdAfter: r2 },
      };
    },
    opts(input),
  );
}

/** Events of a watch as they come, until `close()`. */
function collect(input: ModernCheckInput, path: string) {
  const events: WatchEvent[] = [];
  const stream = input.api.watch(path, (ev) => events.push(ev));
  let end: Awaited<typeof stream.ended> | undefined;
  void stream.ended.then((e) => {
    end = e;
  });
  return { events, stream, ended: () => end };
}

/**
 * Creates object `name` (of the first resource) and waits until a quorum list, an rv=0 list and a
 * watch opened before the create all show it.
 */
export async function writeVisible(input: ModernCheckInput, name: string): Promise<CheckOutcome> {
  const ref = input.refs[0] as ResourceRef;
  const w = collect(input, `${resourcePath(ref)}?allowWatchBookmarks=true`);
  try {
    // Registered before the create, so an ADDED for it is a live event, not the watch's initial state.
    await w.stream.answered;
    try {
      await input.api.create(ref, modernObject(ref, name, 'check'));
    } catch (err) {
      // An answer with a status is the product's: the write was refused.
      if (statusOf(err) === undefined) throw err;
      return { ok: false, ms: 0, evidence: { object: name, createError: String((err as Error).message) } };
    }
    const id = objectId(ref.plural, modernObject(ref, name, 'check'));
    const r = await pollUntil(
      input.boundMs ?? MODERN_BOUND.write,
      async () => {
        const has = async (rv?: string) => (await listed({ ...input, refs: [ref] }, rv)).objects.has(id);
        const seen = { quorumList: await has(), cacheList: await has('0'), watch: watchSaw(w.events, name) };
        const watchEnded = w.ended();
        return {
          ok: Object.values(seen).every(Boolean),
          evidence: { object: id, ...seen, ...(watchEnded ? { watchEnded } : {}) },
        };
      },
      opts(input),
    );
    // A watch that never got an HTTP answer is ours that failed: its "not seen" says nothing of the API.
    const ended = w.ended();
    if (!r.ok && !r.evidence.watch && ended?.error !== undefined && ended.status === undefined)
      throw new HarnessError('CLUSTER_UNHEALTHY', `the watch for ${id} got no answer: ${ended.error}`, {
        details: { evidence: r.evidence },
      });
    return r;
  } finally {
    w.stream.close();
  }
}

function watchSaw(events: readonly WatchEvent[], name: string): boolean {
  return events.some((e) => e.type !== 'BOOKMARK' && e.type !== 'ERROR' && e.object.metadata?.name === name);
}

/** Served by default: the WatchList gate is on from 1.34 (k8s.io/apiserver/pkg/features/kube_features.go). */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';
const WATCH_LIST_QUERY = '?sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true';

function annotationsOf(e: WatchEvent): Record<string, string> {
  return (e.object.metadata?.annotations as Record<string, string> | undefined) ?? {};
}

/** One watch-list stream: its ADDED objects until the initial-events-end bookmark, or why it stopped short. */
async function watchListOnce(input: ModernCheckInput, ref: ResourceRef, waitMs: number) {
  const w = collect(input, `${resourcePath(ref)}${WATCH_LIST_QUERY}`);
  const bookmark = () =>
    w.events.find((e) => e.type === 'BOOKMARK' && annotationsOf(e)[INITIAL_EVENTS_END] === 'true');
  const t0 = Date.now();
  try {
    while (!bookmark() && !w.ended() && Date.now() - t0 < waitMs) await pause(50, input.signal);
  } finally {
    w.stream.close();
  }
  const ended = w.ended();
  // A stream that got no answer at all: the harness could not look.
  if (ended?.error && ended.status === undefined && w.events.length === 0)
    throw new HarnessError('CLUSTER_UNHEALTHY', `watch-list of ${ref.plural}: ${ended.error}`);
  const added = new Map<string, string>();
  for (const e of w.events)
    if (e.type === 'ADDED')
      added.set(objectId(ref.plural, e.object), e.object.metadata.resourceVersion ?? '');
  const error = w.events.find((e) => e.type === 'ERROR')?.object;
  return { added, bookmarkRv: bookmark()?.object.metadata.resourceVersion, ended, error };
}

/** A watch-list stream sends exactly etcd's objects as ADDED, then the initial-events-end bookmark. */
export function watchList(input: ModernCheckInput): Promise<CheckOutcome> {
  return pollUntil(
    input.boundMs ?? MODERN_BOUND.watch,
    async () => {
      const added = new Map<string, string>();
      const streams: Record<string, unknown> = {};
      let allBookmarked = true;
      for (const ref of input.refs) {
        const s = await watchListOnce(input, ref, 5000);
        for (const [k, v] of s.added) added.set(k, v);
        allBookmarked &&= s.bookmarkRv !== undefined;
        streams[ref.plural] = {
          bookmarkRv: s.bookmarkRv ?? null,
          ...(s.error ? { error: `${s.error.code} ${s.error.message}` } : {}),
          ...(s.bookmarkRv === undefined && s.ended ? { ended: s.ended } : {}),
        };
      }
      const etcd = await etcdModernObjects(input.etcd);
      const diff = diffObjects(added, etcd.objects);
      return {
        ok: allBookmarked && sameObjects(diff),
        evidence: { ...diff, streams, etcdRevision: etcd.revision },
      };
    },
    opts(input),
  );
}

/** The informer's cache (started before the backup) holds exactly etcd's objects. */
export function informerAgrees(
  input: ModernCheckInput,
  informers: readonly Informer[],
): Promise<CheckOutcome> {
  const t0 = Date.now();
  return pollUntil(
    input.boundMs ?? MODERN_BOUND.informer,
    async () => {
      const cached = new Map<string, string>();
      for (const inf of informers) for (const [id, e] of inf.cache) cached.set(id, e.resourceVersion);
      const since = Date.now() - t0;
      const etcd = await etcdModernObjects(input.etcd);
      const diff = diffObjects(cached, etcd.objects);
      // Not in agreement and cut off from the apiserver all along: we could not see it catch up.
      const cutOff = informers.filter((i) => !i.watching && i.lastContactMs < t0).map((i) => i.ref.plural);
      if (!sameObjects(diff) && cutOff.length > 0)
        throw new HarnessError(
          'CLUSTER_UNHEALTHY',
          `the informer of ${cutOff.join(', ')} has had no answer from the apiserver for the check's ${since} ms`,
        );
      const informer = Object.fromEntries(
        informers.map((i) => [
          i.ref.plural,
          { lastRv: i.lastRv, counts: i.counts(), recent: i.log.slice(-4) },
        ]),
      );
      return { ok: sameObjects(diff), evidence: { ...diff, informer, etcdRevision: etcd.revision } };
    },
    opts(input),
  );
}

/**
 * The watch cache's resourceVersion (from /metrics) is not ahead of etcd's current revision. It can
 * only catch a cache ahead of etcd (a plain restore, no write since); one stuck behind, as after
 * --bump-revision, passes here and is the lists' and the informer's to catch: the gauge moves with
 * events only (an idle resource's stays at its last event, seen below lists' resourceVersions).
 */
export function watchCacheRevision(input: ModernCheckInput): Promise<CheckOutcome> {
  return pollUntil(
    input.boundMs ?? MODERN_BOUND.metrics,
    async () => {
      const text = (await input.api.request('GET', '/metrics')).text;
      const etcdRev = await etcdRevision(input.etcd);
      const cache = watchCacheRevisions(text, MODERN_GROUP);
      const plurals = input.refs.map((r) => r.plural);
      const absent = plurals.filter((p) => !cache.has(p));
      const ahead = plurals.filter((p) => (cache.get(p) ?? 0) > etcdRev);
      return {
        ok: absent.length === 0 && ahead.length === 0,
        evidence: {
          watchCacheResourceVersion: Object.fromEntries(cache),
          etcdRevision: etcdRev,
          ahead,
          absent,
        },
      };
    },
    opts(input),
  );
}
