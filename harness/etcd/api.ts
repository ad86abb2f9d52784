import './watch-guard.ts';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IPolicy } from 'cockatiel';
import type { Etcd3 } from 'etcd3';
import type Etcd2 from 'node-etcd';
import { HarnessError } from '../errors.ts';
import { type ClientTls, httpCall } from './http.ts';
import { compareVersions } from './versions.ts';
import { type Kv, openKv, type RangePage } from './wire.ts';

/** How the harness reaches a cluster: client URLs it can dial, and TLS material when the cluster wants it. */
export interface Access {
  readonly endpoints: readonly string[];
  readonly tls?: ClientTls | undefined;
}

/**
 * Talking to etcd from the harness. v3 data goes through etcd3 (gRPC), v2 data through node-etcd (HTTP);
 * status and membership go through the v3 JSON gateway, whose uint64 IDs arrive as strings (JS numbers
 * would round them).
 */

/** A keyspace as read from a cluster: key -> sha256 of the value (v2 directories map to '<dir>'). */
export type Keyset = Map<string, string>;

export interface V3Dump {
  readonly keys: Keyset;
  readonly revision: number;
}

// The clients (gRPC and all) take a good part of a second to load: loaded on first use, so commands that
// talk to no cluster (`etcd-drill list`, `report …`) start fast.
const load = createRequire(import.meta.url);
const cockatiel = () => load('cockatiel') as typeof import('cockatiel');

/**
 * The first 8 bytes of the value's sha256 as 16 hex digits, made flat: a slice of the full hex
 * string keeps all 64 digits alive, a million times over in a held keyset.
 */
export function digest(value: Buffer | string): string {
  return createHash('sha256').update(value).digest().toString('hex', 0, 8);
}

export function v3Client(a: Access): Etcd3 {
  const { Etcd3 } = load('etcd3') as typeof import('etcd3');
  const { noop } = cockatiel();
  return new Etcd3({
    hosts: [...a.endpoints],
    ...(a.tls
      ? {
          credentials: {
            rootCertificate: Buffer.from(a.tls.ca),
            certChain: Buffer.from(a.tls.cert),
            privateKey: Buffer.from(a.tls.key),
          },
        }
      : {}),
    dialTimeout: 5000,
    // Own subchannels: grpc-js shares them across clients by default, and a probe's channel still backing
    // off from the disaster would fail the harness's fresh reads on the restored cluster at once.
    grpcOptions: { 'grpc.use_local_subchannel_pool': 1 },
    // A drill wants to see failures, not have them retried away by the client.
    faultHandling: { host: () => noop, global: noop },
  });
}

export async function withV3<T>(a: Access, fn: (c: Etcd3) => Promise<T>): Promise<T> {
  const c = v3Client(a);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** What etcd answers while a leader is being elected or a peer link is cut: its docs call these retryable. */
const TRANSIENT = /leader changed|request timed out|no leader|UNAVAILABLE|too many requests/i;

/**
 * The harness's reads of the truth ride out an election (a fault may cause one): a few tries, then
 * the error stands and the observation is lost (unknown), never guessed.
 */
let truthPolicy: IPolicy | undefined;
function truthRetry(): IPolicy {
  if (truthPolicy) return truthPolicy;
  const { ExponentialBackoff, handleWhen, retry } = cockatiel();
  truthPolicy = retry(
    handleWhen((err) => TRANSIENT.test(String((err as Error)?.message ?? err))),
    { maxAttempts: 4, backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 2000 }) },
  );
  return truthPolicy;
}

/** Where a v3 read looks: one key prefix (default every key), at one revision (default the latest). */
export interface V3Read {
  readonly prefix?: string;
  readonly revision?: number;
}

/** The end of the range [prefix, prefix+1): the harness's prefixes end in '/', never in 0xff. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  return end;
}

/**
 * Keys per range request. etcd counts every key from a page's start to the range's end for each page
 * (RangeResponse.count), so small pages make a whole read quadratic: a million keys in pages of 1000
 * took minutes. Pages grow to about PAGE_BYTES of values as the values seen so far say, within bounds.
 */
const PAGE = { first: 1000, min: 100, max: 50_000, bytes: 16 * 2 ** 20 };

/** The next page's size: PAGE.bytes of values at the mean value size read so far. */
export function nextPageSize(keys: number, valueBytes: number): number {
  if (keys === 0) return PAGE.first;
  const mean = Math.max(1, valueBytes / keys);
  return Math.min(PAGE.max, Math.max(PAGE.min, Math.floor(PAGE.bytes / mean)));
}

export interface V3Page {
  /** The revision every page is pinned to. */
  readonly revision: number;
  readonly kvs: readonly { key: Buffer; value: Buffer }[];
}

/** Disjoint ranges read at once by a whole-keyspace scan: one per member is what 2 cores keep busy. */
const PARALLEL = 3;

/**
 * Where a whole-keyspace read is cut: before /registry/a, /registry/b, … /registry/z. etcd walks its
 * index from a page's start to its range's end to count (RangeResponse.count), so a page's cost is
 * bounded by its range, not by the whole keyspace; and disjoint ranges can be read at once. Kubernetes
 * keys spread over the letters (pods, events, secrets, …); any other keyspace is one or two ranges.
 */
export function wholeKeyspaceRanges(): [Buffer, Buffer][] {
  const cuts = [...'abcdefghijklmnopqrstuvwxyz'].map((c) => Buffer.from(`/registry/${c}`));
  const bounds = [Buffer.from([0]), ...cuts, Buffer.from([0])];
  return bounds.slice(0, -1).map((b, i) => [b, bounds[i + 1] as Buffer]);
}

/** One range's pages in key order, the next page asked for while the caller works on this one. */
async function* rangePages(
  kv: Kv,
  first: Buffer,
  rangeEnd: Buffer,
  revision: number,
): AsyncGenerator<V3Page> {
  const fetch = (key: Buffer, limit: number) =>
    truthRetry().execute(() => kv.range({ key, rangeEnd, limit, revision }));
  let pending: Promise<RangePage> | undefined = fetch(first, nextPageSize(0, 0));
  try {
    let [keys, bytes] = [0, 0];
    while (pending) {
      const res: RangePage = await pending;
      keys += res.kvs.length;
      for (const x of res.kvs) bytes += x.value.length;
      const last = res.kvs.at(-1);
      pending =
        res.more && last
          ? fetch(Buffer.concat([last.key, Buffer.from([0])]), nextPageSize(keys, bytes))
          : undefined;
      yield { revision: revision || res.revision, kvs: res.kvs };
    }
  } finally {
    // A caller that stops early leaves a page in flight: its answer (or error) goes nowhere.
    await pending?.catch(() => undefined);
  }
}

/** The revision to pin a read to: the one asked for, else the latest (a read of an empty range). */
async function pinRevision(kv: Kv, at: V3Read): Promise<number> {
  if (at.revision) return at.revision;
  const none = { key: Buffer.from([0]), rangeEnd: Buffer.from([1]), limit: 1, revision: 0 };
  return (await truthRetry().execute(() => kv.range(none))).revision;
}

/**
 * Every v3 key (under a prefix) in etcd's key order, page by page, all pinned to one revision so the
 * pages are a consistent cut. A whole keyspace is read as disjoint ranges (wholeKeyspaceRanges), up
 * to PARALLEL at once, going round the members; pages still come out in key order. Each page rides
 * out an election on its own (a page read is idempotent).
 */
export async function* scanV3(a: Access, at: V3Read = {}): AsyncGenerator<V3Page> {
  const kv = openKv(a);
  const ranges: [Buffer, Buffer][] = at.prefix
    ? [[Buffer.from(at.prefix), prefixEnd(Buffer.from(at.prefix))]]
    : wholeKeyspaceRanges();
  const started: { it: AsyncGenerator<V3Page>; next: Promise<IteratorResult<V3Page>> }[] = [];
  try {
    const revision = await pinRevision(kv, at);
    const start = (i: number) => {
      const r = ranges[i];
      if (!r || started[i]) return;
      const it = rangePages(kv, r[0], r[1], revision);
      started[i] = { it, next: it.next() };
    };
    for (let i = 0; i < ranges.length; i++) {
      // The ranges ahead fetch their first pages while this one is read.
      for (let j = i; j < i + PARALLEL; j++) start(j);
      const r = started[i] as (typeof started)[number];
      for (let page = await r.next; !page.done; page = await r.it.next()) yield page.value;
    }
  } finally {
    await Promise.all(started.map(async (r) => r.it.return(undefined).catch(() => undefined)));
    kv.close();
  }
}

/**
 * Every v3 page of the whole keyspace (or a prefix) to `onPage`, in no particular order: PARALLEL
 * ranges are read at once and each page is handed over as it arrives. For tallies that need no order.
 */
export async function forEachPageV3(
  a: Access,
  onPage: (page: V3Page) => void,
  at: V3Read = {},
): Promise<number> {
  const kv = openKv(a);
  try {
    const revision = await pinRevision(kv, at);
    const ranges: [Buffer, Buffer][] = at.prefix
      ? [[Buffer.from(at.prefix), prefixEnd(Buffer.from(at.prefix))]]
      : wholeKeyspaceRanges();
    let next = 0;
    const worker = async () => {
      for (let r = ranges[next++]; r; r = ranges[next++])
        for await (const page of rangePages(kv, r[0], r[1], revision)) onPage(page);
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return revision;
  } finally {
    kv.close();
  }
}

/** The cluster's current revision (one key read). */
export async function currentRevision(a: Access): Promise<number> {
  const kv = openKv(a);
  try {
    const all = Buffer.from([0]);
    const req = { key: all, rangeEnd: all, limit: 1, revision: 0 };
    return (await truthRetry().execute(() => kv.range(req))).revision;
  } finally {
    kv.close();
  }
}

/** Every v3 key (under a prefix) with its value's digest, `keep` deciding which keys are held. */
export async function dumpV3(
  a: Access,
  at: V3Read = {},
  keep: (key: string) => boolean = () => true,
): Promise<V3Dump> {
  const keys: Keyset = new Map();
  let revision = 0;
  for await (const page of scanV3(a, at)) {
    revision = page.revision;
    for (const kv of page.kvs) {
      const k = kv.key.toString('utf8');
      if (keep(k)) keys.set(k, digest(kv.value));
    }
  }
  return { keys, revision };
}

export interface PutOp {
  readonly key: string;
  readonly value: string;
}

/** etcd's default --max-txn-ops is 128. */
const TXN_OPS = 128;
/**
 * Transactions in flight: etcd batches concurrent proposals into one raft round and one WAL sync.
 * 16 seeded a million keys fastest here (4: ~19k keys/s, 16: ~30k, 32: no better; README).
 */
const IN_FLIGHT = 16;

/**
 * A connection to the leader alone when one is known: a follower forwards every proposal to the
 * leader, so each put sent to it costs a second decode and hop on the same cores. Should leadership
 * move during the puts, the old leader forwards them: slower, still correct.
 */
async function leaderKv(a: Access): Promise<Kv> {
  const all = openKv(a);
  const i = await all.leader();
  const leader = i === undefined ? undefined : a.endpoints[i];
  if (!leader) return all;
  all.close();
  return openKv({ ...a, endpoints: [leader] });
}

/**
 * Waits (up to `ms`) until every member that answers has applied what the leader has: the leader
 * acknowledges a put once it has applied it, and a follower starved of CPU by a bulk load can apply
 * seconds later, so a snapshot or a serializable read through it right after would miss keys.
 */
async function settle(a: Access, ms = 60_000): Promise<void> {
  const kv = openKv(a);
  try {
    const until = Date.now() + ms;
    for (;;) {
      const revs = (await kv.revisions()).filter((r): r is number => r !== undefined);
      if (revs.every((r) => r === Math.max(...revs)) || Date.now() > until) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    kv.close();
  }
}

export interface PutAllOptions {
  /** Transactions in flight. @default IN_FLIGHT */
  readonly concurrency?: number;
  /**
   * Bulk load: every transaction to the leader, then wait until every member has applied them all.
   * Small writes (the probes' during faults) go round the members as given. @default false
   */
  readonly bulk?: boolean;
}

/**
 * Puts every op (an array or a generator: a million keys need not be held) in batched transactions;
 * returns how many.
 */
export async function putAllV3(a: Access, ops: Iterable<PutOp>, o: PutAllOptions = {}): Promise<number> {
  const bulk = (o.bulk ?? false) && a.endpoints.length > 1;
  const kv = bulk ? await leaderKv(a) : openKv(a);
  const it = ops[Symbol.iterator]();
  let [put, failed] = [0, false];
  const batch = (): PutOp[] => {
    const b: PutOp[] = [];
    while (!failed && b.length < TXN_OPS) {
      const r = it.next();
      if (r.done) break;
      b.push(r.value);
    }
    return b;
  };
  const worker = async () => {
    for (let b = batch(); b.length > 0; b = batch()) {
      await kv.txnPut(b).catch((err: unknown) => {
        failed = true;
        throw err;
      });
      put += b.length;
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency ?? IN_FLIGHT }, worker));
  } finally {
    kv.close();
  }
  if (bulk) await settle(a);
  return put;
}

// ---- v2 (node-etcd) ----

export interface V2Entry {
  readonly key: string;
  readonly dir?: boolean;
  readonly value?: string;
  readonly ttl?: number;
}

type V2Node = { key?: string; dir?: boolean; value?: string; nodes?: V2Node[] };

function call<T>(fn: (cb: (err: unknown, res: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

function v2Client(a: Access): Etcd2 {
  const Client = load('node-etcd') as typeof Etcd2;
  return new Client([...a.endpoints], a.tls ? { ca: [a.tls.ca], cert: a.tls.cert, key: a.tls.key } : {});
}

export async function putAllV2(a: Access, entries: readonly V2Entry[]): Promise<void> {
  const c = v2Client(a);
  for (const e of entries) {
    if (e.dir) await call((cb) => c.mkdir(e.key, cb));
    else await call((cb) => c.set(e.key, e.value ?? '', e.ttl ? { ttl: e.ttl } : {}, cb));
  }
}

export async function deleteV2(a: Access, key: string): Promise<void> {
  const c = v2Client(a);
  await call((cb) => c.del(key, {}, cb));
}

export async function deleteV3(a: Access, key: string): Promise<void> {
  await withV3(a, async (c) => {
    await c.delete().key(key);
  });
}

/** Every v2 node below / (directories included, as `etcdctl ls -r /` counts them). */
export async function dumpV2(a: Access): Promise<Keyset> {
  const c = v2Client(a);
  const keys: Keyset = new Map();
  let res: { node?: V2Node };
  try {
    res = await truthRetry().execute(() => call((cb) => c.get('/', { recursive: true }, cb)));
  } catch (err) {
    throw new HarnessError('CLUSTER_UNHEALTHY', `v2 read of / failed (is --enable-v2 on?)`, { cause: err });
  }
  const walk = (n: V2Node) => {
    for (const child of n.nodes ?? []) {
      if (!child.key) continue;
      keys.set(child.key, child.dir ? '<dir>' : digest(child.value ?? ''));
      if (child.dir) walk(child);
    }
  };
  if (res.node) walk(res.node);
  return keys;
}

// ---- v3 JSON gateway: status and membership ----

export interface MemberStatus {
  readonly memberId: string;
  readonly clusterId: string;
  readonly leaderId: string;
  readonly revision: number;
  readonly version: string;
  /** The raft index this member has applied (3.4+), else the one it has committed (3.3 says no more). */
  readonly raftIndex: number;
  /** raftIndex is the applied index. */
  readonly raftIndexApplied: boolean;
}

export interface MemberInfo {
  readonly id: string;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** 3.3 serves the gateway under /v3beta; 3.4 and later under /v3. */
function gatewayPrefix(version: string): string {
  return compareVersions(version, '3.4.0') < 0 ? '/v3beta' : '/v3';
}

async function gateway<T>(
  clientUrl: string,
  version: string,
  path: string,
  tls: ClientTls | undefined,
  timeoutMs: number,
  body: Record<string, unknown> = {},
): Promise<T> {
  const res = await httpCall(`${clientUrl}${gatewayPrefix(version)}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    tls,
    timeoutMs,
  });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as T;
}

export async function memberStatus(
  clientUrl: string,
  version: string,
  tls?: ClientTls,
  timeoutMs = 3000,
): Promise<MemberStatus> {
  const r = await gateway<{
    header: { cluster_id: string; member_id: string; revision?: string };
    leader?: string;
    version: string;
    raftIndex?: string;
    raftAppliedIndex?: string;
  }>(clientUrl, version, '/maintenance/status', tls, timeoutMs);
  return {
    memberId: r.header.member_id,
    clusterId: r.header.cluster_id,
    leaderId: r.leader ?? '0',
    revision: Number(r.header.revision ?? 0),
    version: r.version,
    raftIndex: Number(r.raftAppliedIndex ?? r.raftIndex ?? 0),
    raftIndexApplied: r.raftAppliedIndex !== undefined,
  };
}

export async function memberList(
  clientUrl: string,
  version: string,
  tls?: ClientTls,
  timeoutMs = 5000,
): Promise<MemberInfo[]> {
  const r = await gateway<{
    members?: {
      ID: string;
      name?: string;
      peerURLs?: string[];
      clientURLs?: string[];
      isLearner?: boolean;
    }[];
  }>(clientUrl, version, '/cluster/member/list', tls, timeoutMs);
  return (r.members ?? []).map((m) => ({
    id: m.ID,
    name: m.name ?? '',
    peerUrls: m.peerURLs ?? [],
    clientUrls: m.clientURLs ?? [],
    isLearner: m.isLearner ?? false,
  }));
}

/** GET /health: {"health":"true"} when the member has a leader and can serve. */
export async function memberHealthy(
  clientUrl: string,
  tls?: ClientTls,
  timeoutMs = 3000,
): Promise<{ healthy: boolean; reason?: string; answered: boolean }> {
  try {
    const res = await httpCall(`${clientUrl}/health`, { tls, timeoutMs });
    const body = JSON.parse(res.body) as { health?: string; reason?: string };
    return body.health === 'true'
      ? { healthy: true, answered: true }
      : { healthy: false, reason: body.reason ?? `HTTP ${res.status}`, answered: true };
  } catch (err) {
    // No HTTP answer (refused, timed out): not a statement by etcd about its health.
    return { healthy: false, reason: err instanceof Error ? err.message : String(err), answered: false };
  }
}
