import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { V2_LEVELS } from '../checks/v2-readiness-outcomes.ts';
import type { Cluster, Member } from '../cluster/types.ts';
import { clusterOf, type DrillContext } from '../engine/context.ts';
import { HarnessError, serializeError } from '../errors.ts';
import { deleteV2, dumpV2, type Keyset } from '../etcd/api.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { httpCall } from '../etcd/http.ts';
import { errorLine, zapEntry } from '../etcd/log-lines.ts';
import type { V2Readiness } from '../result.ts';
import { defineFault, flagsReachMembers } from './kind.ts';

type Level = V2Readiness['levels'][number];
type StoreCheck = V2Readiness['checkBefore'][number];
type Start = Level['starts'][number];

const PROBE_KEY = '/etcd-drill-v2-readiness';
const HEALTHY_MS = 30_000;

/** What this binary offers: `etcdutl check v2store` and `etcd --v2-deprecation`, asked of the binaries themselves. */
export function v2ReadinessSupport(dist: EtcdDist): { ok: true } | { ok: false; reason: string } {
  const help = (bin: string, args: string[]) => {
    const r = spawnSync(bin, [...args, '--help'], { encoding: 'utf8', timeout: 10_000 });
    return `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  };
  if (!help(dist.etcd, []).includes('--v2-deprecation'))
    return { ok: false, reason: `etcd ${dist.version} has no --v2-deprecation flag (etcd --help)` };
  if (!dist.etcdutl || !help(dist.etcdutl, ['check', 'v2store']).includes('--data-dir'))
    return {
      ok: false,
      reason: `etcd ${dist.version} has no \`etcdutl check v2store\` (etcdutl check --help)`,
    };
  return { ok: true };
}

/** The error of etcd's fatal (or panic) log line after the latest start in this log text. */
export function fatalQuote(log: string): string | undefined {
  const at = log.lastIndexOf('=== etcd-drill: starting');
  const latest = at < 0 ? log : log.slice(at);
  for (const line of latest.split('\n').reverse()) {
    const e = /"level":"(fatal|panic)"/.test(line) ? zapEntry(line.trim()) : undefined;
    if (e) return String(e.fields.error ?? e.msg).slice(0, 300);
  }
  return undefined;
}

/** etcd's own reason for exiting during start (its port not bound yet). */
function refusalQuote(err: unknown): string | undefined {
  if (!(err instanceof HarnessError) || !err.details?.exitedByItself) return undefined;
  return (
    fatalQuote(String(err.details.logTail ?? '')) ??
    (errorLine(String(err.details.logTail ?? '')) || err.message)
  );
}

/** A member that bound its port and then exited by itself (etcd binds before it reads its data): its words. */
async function exitedQuote(cluster: Cluster): Promise<string | undefined> {
  for (const m of cluster.members) {
    if (m.running || m.starting) continue;
    const q = fatalQuote(await m.logTail(2000));
    if (q) return q;
  }
  return undefined;
}

/** Every member started with these per-cluster flags: up, or etcd's refusal quoted (a harness failure throws). */
async function startAll(cluster: Cluster, flags: readonly string[]): Promise<Start> {
  cluster.setFlags(flags);
  const tries = await Promise.allSettled(cluster.members.map((m) => m.start({ state: 'existing' })));
  const failed = tries.flatMap((t) => (t.status === 'rejected' ? [t.reason as unknown] : []));
  let quote = failed.map(refusalQuote).find((q) => q !== undefined);
  if (failed.length === 0) {
    try {
      await cluster.waitHealthy(cluster.members, HEALTHY_MS);
      return { flags: [...flags], started: true };
    } catch (err) {
      quote = await exitedQuote(cluster);
      if (quote === undefined) throw err;
    }
  }
  await cluster.stopAll();
  if (quote === undefined) throw failed[0];
  return { flags: [...flags], started: false, quote };
}

/** `etcdutl check v2store` on a data dir not in use: found, none, or the tool failing otherwise. */
async function checkDir(cluster: Cluster, member: string, dataDir: string): Promise<StoreCheck> {
  try {
    const r = await cluster.etcdutl(['check', 'v2store', '--data-dir', dataDir]);
    const words = `${r.stdout}\n${r.stderr}`.trim().split('\n').at(-1) ?? '';
    return { member, result: /no custom content/i.test(words) ? 'none' : 'error', words };
  } catch (err) {
    const stderr = String((err as HarnessError).details?.stderr ?? '');
    if (/custom (v2 )?content/i.test(stderr)) return { member, result: 'found', words: errorLine(stderr) };
    return { member, result: 'error', words: (err as Error).message };
  }
}

const checkAll = (cluster: Cluster) =>
  Promise.all(cluster.members.map((m) => checkDir(cluster, m.name, m.dataDir)));

/** One v2 call on a member: what etcd answered, as an outcome word and its own words. */
async function v2Call(cluster: Cluster, m: Member, method: 'GET' | 'PUT', key: string) {
  const url = `${m.clientUrl}/v2/keys${key}${method === 'PUT' ? '?value=x' : ''}`;
  const r = await httpCall(url, { method, tls: cluster.pki?.clientTls });
  const words = r.body.trim().slice(0, 300);
  if (r.status === 404 && /page not found/.test(words)) return { outcome: 'not served', words };
  if (method === 'GET')
    return {
      outcome: r.status === 200 ? 'returns the data' : r.status === 404 ? 'key missing' : 'error',
      words,
    };
  if (r.status === 200 || r.status === 201) return { outcome: 'accepted', words };
  // etcd's own refusal is a v2 error body ({"errorCode":…}); anything else is not an answer we can read.
  return { outcome: /"errorCode"/.test(words) ? 'refused' : 'error', words };
}

/** The v2 entries before the drill: what each restart is compared with, and a file key to read back. */
interface V2Before {
  readonly keys: Keyset;
  readonly key: string | undefined;
}

async function v2Before(cluster: Cluster): Promise<V2Before> {
  const keys = await dumpV2(cluster.access());
  return { keys, key: [...keys].find(([, v]) => v !== '<dir>')?.[0] };
}

/** How many of the entries listed before are listed now with the same value. */
async function stillThere(cluster: Cluster, before: Keyset): Promise<number> {
  const now = await dumpV2(cluster.access());
  return [...before].filter(([k, v]) => now.get(k) === v).length;
}

/** A start that must happen for the step to mean anything: etcd's refusal stops the step, quoted. */
async function mustStart(cluster: Cluster, flags: readonly string[]): Promise<void> {
  const s = await startAll(cluster, flags);
  if (!s.started) throw new Error(`etcd refused to start with ${flags.join(' ')}: ${s.quote}`);
}

/** One level: the deployment's flags plus the level, then without --enable-v2 as the guide says. */
/**
 * Runs each step so a harness error loses only that step's line (its check is then unknown, with the
 * error), never the rest of the drill; Ctrl-C still stops it. `after` puts the cluster back in a known state.
 */
function keeper(d: DrillContext, after?: () => Promise<void>) {
  const errors: Record<string, string> = {};
  const keep = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      if (d.run.signal.aborted) throw err;
      errors[what] = (err as Error).message;
      await after?.();
    }
  };
  return { errors, keep };
}

async function drillLevel(
  d: DrillContext,
  base: readonly string[],
  level: string,
  before: V2Before,
): Promise<Level> {
  const cluster = clusterOf(d);
  const out: Level = { level, starts: [] };
  const { errors, keep } = keeper(d);
  const dep = `--v2-deprecation=${level}`;
  await keep('start', async () => {
    out.starts.push(await d.rec.step(`start with ${dep}`, () => startAll(cluster, [...base, dep])));
    if (out.starts[0]?.started) return;
    const without = [...base, '--enable-v2=false', dep];
    out.starts.push(
      await d.rec.step(`start with ${dep} --enable-v2=false`, () => startAll(cluster, without)),
    );
  });
  const up = out.starts.some((s) => s.started);
  const first = cluster.members[0] as Member;
  // With no v2 data, a key that is not there: the answer still tells served from not served.
  const readKey = before.key ?? PROBE_KEY;
  if (up)
    await keep('read', async () => {
      out.v2Read = await d.rec.step(`v2 read of ${readKey}`, () => v2Call(cluster, first, 'GET', readKey));
    });
  if (up)
    await keep('write', async () => {
      const w = await d.rec.step('v2 write', () => v2Call(cluster, first, 'PUT', PROBE_KEY));
      out.v2Write = w;
      if (w.outcome === 'accepted') await deleteV2(cluster.access(), PROBE_KEY);
    });
  if (up) await keep('snapshot', () => snapshotRestore(d, level, out));
  await cluster.stopAll();
  await keep('restart', async () => {
    await d.rec.step('restart with the deployment flags', () => mustStart(cluster, base));
    out.keysAfterRestart = await stillThere(cluster, before.keys);
    await cluster.stopAll();
  });
  if (Object.keys(errors).length) out.errors = errors;
  return out;
}

/** A v3 snapshot saved at this level and restored by etcdutl: does its data dir hold custom v2 content? */
async function snapshotRestore(d: DrillContext, level: string, out: Level): Promise<void> {
  const cluster = clusterOf(d);
  const file = join(cluster.backupDir, `v2-readiness-${level}.db`);
  const dir = join(cluster.backupDir, `v2-readiness-${level}.restored`);
  await d.rec.step(`v3 snapshot save and restore at ${level}`, async () => {
    await cluster.etcdctl(['snapshot', 'save', file], { endpoints: [cluster.members[0] as Member] });
    await cluster.etcdutl(['snapshot', 'restore', file, '--data-dir', dir]);
  });
  out.snapshotRestore = await checkDir(cluster, 'restored snapshot', dir);
}

/** The upgrade guide's clean-up: --snapshot-count=1 without --enable-v2, restart, drop it, restart, check. */
async function guideCleanup(d: DrillContext, base: readonly string[]) {
  const cluster = clusterOf(d);
  const noV2 = [...base, '--enable-v2=false'];
  await d.rec.step("guide's clean-up: restart with --snapshot-count=1, without --enable-v2", () =>
    mustStart(cluster, [...noV2, '--snapshot-count=1']),
  );
  await cluster.stopAll();
  await d.rec.step("guide's clean-up: restart without --snapshot-count", () => mustStart(cluster, noV2));
  await cluster.stopAll();
  return checkAll(cluster);
}

/** The custom keys deleted through the v2 API, a v2 snapshot forced by a restart, then the check. */
async function deleteCleanup(d: DrillContext, base: readonly string[]) {
  const cluster = clusterOf(d);
  const flags = [...base, '--snapshot-count=1'];
  await d.rec.step('delete every custom v2 key through the v2 API', async () => {
    await mustStart(cluster, flags);
    const keys = await dumpV2(cluster.access());
    const tops = [...keys.keys()].filter((k) => k.lastIndexOf('/') === 0);
    for (const k of tops) await v2Delete(cluster, k);
  });
  await cluster.stopAll();
  // The deletes are in the WAL only: a restart applies entries, which with --snapshot-count=1 writes a snapshot.
  await d.rec.step('restart once more so a v2 snapshot holds the deletes', () => mustStart(cluster, flags));
  await cluster.stopAll();
  return checkAll(cluster);
}

async function v2Delete(cluster: Cluster, key: string): Promise<void> {
  const m = cluster.members[0] as Member;
  const r = await httpCall(`${m.clientUrl}/v2/keys${key}?recursive=true`, {
    method: 'DELETE',
    tls: cluster.pki?.clientTls,
  });
  if (r.status !== 200) throw new HarnessError('STRATEGY', `v2 delete of ${key}: HTTP ${r.status} ${r.body}`);
}

/** The whole readiness drill on the restored cluster; what it saw goes into d.obs.v2Readiness as it goes. */
async function drill(d: DrillContext, base: readonly string[], v2Snapshot: boolean): Promise<void> {
  const cluster = clusterOf(d);
  const before = await d.rec.step('list the v2 keys of the restored cluster', () => v2Before(cluster));
  const obs: V2Readiness = { v2Keys: before.keys.size, v2Snapshot, checkBefore: [], levels: [] };
  d.obs.v2Readiness = obs;
  await cluster.stopAll();
  if (v2Snapshot) {
    await d.rec.step('restart with --snapshot-count=1 so a v2 snapshot file holds the v2 data', () =>
      mustStart(cluster, [...base, '--snapshot-count=1']),
    );
    await cluster.stopAll();
  }
  obs.checkBefore = await d.rec.step('etcdutl check v2store on every member', () => checkAll(cluster));
  for (const level of V2_LEVELS) obs.levels.push(await drillLevel(d, base, level, before));
  const { errors, keep } = keeper(d, () => cluster.stopAll());
  await keep('guideCleanup', async () => {
    obs.guideCleanup = await guideCleanup(d, base);
  });
  await keep('deleteCleanup', async () => {
    obs.deleteCleanup = await deleteCleanup(d, base);
  });
  await keep('writeOnlyAfterCleanup', async () => {
    const flags = [...base, '--enable-v2=false', '--v2-deprecation=write-only'];
    obs.writeOnlyAfterCleanup = await d.rec.step(
      'start with --v2-deprecation=write-only after the clean-up',
      () => startAll(cluster, flags),
    );
    await cluster.stopAll();
  });
  if (Object.keys(errors).length) obs.errors = errors;
  // Left as the deployment runs it, for --keep and the fault's own health look.
  await startAll(cluster, base);
}

/**
 * The road to etcd 3.6 for the restored cluster's v2 data (issue 16): `etcdutl check v2store` on every
 * member, a start at each --v2-deprecation level (v2 read, v2 write, a v3 snapshot restore, a
 * restart), then the upgrade guide's clean-up. Placed after assess: it restarts the members many
 * times, so the drill's own checks have read the cluster first.
 */
export const v2Readiness = defineFault({
  kind: 'v2-readiness',
  summary:
    'after the drill: etcdutl check v2store, each --v2-deprecation level (start, v2 read/write, snapshot, restart), the 3.6 guide clean-up',
  params: {
    /** First restart the members with --snapshot-count=1, so a v2 snapshot file (what the check reads) holds the data. */
    v2Snapshot: z.boolean().optional(),
  },
  defaultAt: { after: 'assess' },
  providers: {
    process: true,
    container: "etcdutl check v2store reads a stopped member's data dir, which lives in its container",
  },
  build: (spec) => ({
    supports(d) {
      const flags = flagsReachMembers(d, 'v2-readiness starts members with --v2-deprecation');
      return flags.ok ? v2ReadinessSupport(d.dist) : flags;
    },
    async inject(d) {
      const cluster = clusterOf(d);
      const base = [...cluster.flags()];
      try {
        await drill(d, base, spec.v2Snapshot ?? false);
      } catch (err) {
        if (d.run.signal.aborted) throw err;
        // What was seen so far stays; the checks it did not reach say unknown with this error.
        d.obs.errors = { ...d.obs.errors, v2Readiness: serializeError(err) };
        await cluster.stopAll();
        await startAll(cluster, base).catch(() => undefined);
      }
      return { description: 'v2 readiness drilled (see the v2 readiness checks)' };
    },
  }),
});
