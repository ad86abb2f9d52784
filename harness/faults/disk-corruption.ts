import { open, readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readIntegrity } from '../checks/integrity.ts';
import type { Cluster, Member } from '../cluster/types.ts';
import { clusterOf, type DrillContext } from '../engine/context.ts';
import { observeInto } from '../engine/phase-bodies.ts';
import { HarnessError } from '../errors.ts';
import { withV3 } from '../etcd/api.ts';
import { flagName, flagSupport } from '../etcd/help.ts';
import { zapEntry } from '../etcd/log-lines.ts';
import type { MemberCorruption } from '../result.ts';
import { poll } from '../util/poll.ts';
import { defineFault, flagsReachMembers } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';

const HOW = z.enum(['flip-db', 'truncate-wal']);
type How = z.infer<typeof HOW>;

/** How long the damaged member gets to be healthy (or to die) after its start. */
const SETTLE_MS = 30_000;
const CORRUPT_CHECK = '--experimental-initial-corrupt-check=true';
// What etcd logs about its own data on a start: WAL repair, the corruption check, bolt's complaints.
const ABOUT_DATA = /repair|corrupt|inconsisten|mismatch|checksum|invalid|broken/i;

/**
 * Overwrites 4 bytes in the middle of one stored value inside member/snap/db. A value, not mid-file:
 * most of a small db is free pages (seen: 16 MB file, 70 KB of data), where a flip changes nothing.
 */
export async function flipStoredValue(dataDir: string, value: Buffer): Promise<Record<string, unknown>> {
  const file = join(dataDir, 'member', 'snap', 'db');
  const buf = await readFile(file);
  const at = buf.indexOf(value);
  if (at < 0) throw new HarnessError('FAULT_INJECT', `the chosen value is not in ${file}: nothing to damage`);
  const offset = at + Math.floor(value.length / 2) - 2;
  const fh = await open(file, 'r+');
  try {
    await fh.write(Buffer.from('XXXX'), 0, 4, offset);
  } finally {
    await fh.close();
  }
  return { file, bytes: buf.length, offset, how: '4 bytes of a stored value overwritten with XXXX' };
}

/**
 * Cuts the newest WAL file to half of its written part (a WAL is preallocated: its tail is zeros),
 * as a lost write-back cache would: the last records are gone, one is torn.
 */
export async function truncateNewestWal(dataDir: string): Promise<Record<string, unknown>> {
  const dir = join(dataDir, 'member', 'wal');
  const wals = (await readdir(dir)).filter((f) => f.endsWith('.wal')).sort();
  const newest = wals.at(-1);
  if (!newest) throw new HarnessError('FAULT_INJECT', `no WAL file in ${dir}: nothing to truncate`);
  const file = join(dir, newest);
  const buf = await readFile(file);
  let used = buf.length;
  while (used > 0 && buf[used - 1] === 0) used--;
  const to = Math.floor(used / 2);
  await truncate(file, to);
  return { file, bytes: buf.length, used, to };
}

/** One v3 value the member serves (the first key with a value long enough to damage in its middle). */
async function someValue(cluster: Cluster, m: Member): Promise<{ key: string; value: Buffer }> {
  const kvs = await withV3(cluster.access([m]), (c) => c.getAll().prefix('/').limit(50).exec());
  const kv = kvs.kvs.find((x) => x.value.length >= 8);
  if (!kv) throw new HarnessError('FAULT_INJECT', `${m.name} serves no v3 value to damage`);
  return { key: kv.key.toString(), value: kv.value };
}

/** A log line's message (zap JSON: msg and error; capnslog: after "X | "), without paths and times. */
export function logMessage(line: string): string {
  const z = zapEntry(line);
  if (z) return z.fields.error ? `${z.msg}: ${String(z.fields.error)}` : z.msg;
  const c = / [A-Z] \| (.*)$/.exec(line);
  return (c?.[1] ?? line).trim();
}

/** The latest start's messages about its data, and its dying words. */
async function whatEtcdSaid(m: Member): Promise<{ etcdSaid: string[]; quote?: string }> {
  const tail = await m.logTail(400);
  const latest = tail.slice(tail.lastIndexOf('=== etcd-drill: starting'));
  const lines = latest.split('\n').filter((l) => l && !l.startsWith('=== etcd-drill'));
  // Paths left out of the match: a run folder may be named after a scenario about corruption.
  const said = lines.map(logMessage).filter((l) => ABOUT_DATA.test(l.replace(/\/\S+/g, '')));
  const etcdSaid = [...new Set(said)].slice(0, 8).map((l) => l.slice(0, 300));
  if (m.running) return { etcdSaid };
  // A panic, else a fatal line: zap's (3.4+) or capnslog's critical "C |" (3.3).
  const fatal = lines.find((l) => / C \| |"level":"fatal"/.test(l));
  const quote = (await m.lastWords()) ?? (fatal && logMessage(fatal).slice(0, 300));
  return { etcdSaid, ...(quote ? { quote } : {}) };
}

/** Starts the damaged member and waits until the cluster is up with it, or it died by itself. */
async function startDamaged(d: DrillContext, m: Member, corruptCheck: boolean): Promise<boolean> {
  const cluster = clusterOf(d);
  try {
    await m.start({ state: 'existing', extraArgs: corruptCheck ? [CORRUPT_CHECK] : [] });
  } catch (err) {
    if (err instanceof HarnessError && err.details?.exitedByItself) return false;
    throw err;
  }
  const r = await poll(() => cluster.health(), {
    boundMs: SETTLE_MS,
    intervalMs: 500,
    signal: d.run.signal,
    what: `waiting for ${m.name} after the damage`,
    done: (h) => !m.running || h.up,
  });
  return r.last.up && m.running;
}

async function observe(d: DrillContext, m: Member, how: How, corruptCheck: boolean) {
  const damage = await damageStopped(d, m, how);
  const healthy = await startDamaged(d, m, corruptCheck);
  const cluster = clusterOf(d);
  // Hash only what runs; a member that died has nothing to compare.
  const view = m.running ? await readIntegrity(cluster) : undefined;
  const o: MemberCorruption = {
    member: m.name,
    how,
    damage,
    corruptCheck,
    running: m.running,
    healthy,
    ...(await whatEtcdSaid(m)),
    ...(view
      ? { hashes: view.hashes.map((h) => ({ member: h.member, hash: h.hash })), alarms: [...view.alarms] }
      : {}),
  };
  return o;
}

async function damageStopped(d: DrillContext, m: Member, how: How): Promise<Record<string, unknown>> {
  if (how === 'truncate-wal') {
    await m.stop();
    return truncateNewestWal(m.dataDir);
  }
  const { key, value } = await someValue(clusterOf(d), m);
  // A graceful stop: bolt commits its pending batch, so the value is on disk.
  await m.stop();
  return { key, ...(await flipStoredValue(m.dataDir, value)) };
}

/**
 * Damages a member's data dir while it is stopped, then starts it: does etcd refuse to start, detect
 * it, or serve the damage? Container members' data dirs are bind-mounted at the same host path.
 */
export const diskCorruption = defineFault({
  kind: 'disk-corruption',
  summary:
    "damage a stopped member's data (flip-db: bytes of a stored value; truncate-wal: the newest WAL cut), then start it",
  params: {
    target: TargetSchema.default('follower'),
    how: HOW,
    /** Start it with --experimental-initial-corrupt-check (3.3.25 to 3.5.30 list it). */
    corruptCheck: z.boolean().default(false),
  },
  defaultAt: { after: 'restore' },
  providers: { process: true, container: true },
  build: (spec) => ({
    supports: (d) => {
      if (!spec.corruptCheck) return { ok: true };
      const defined = flagSupport(d.dist.version, d.etcdFlags, flagName(CORRUPT_CHECK) ?? CORRUPT_CHECK);
      if (!defined.ok) return defined;
      return flagsReachMembers(d, 'corruptCheck starts the member with --experimental-initial-corrupt-check');
    },
    async inject(d) {
      const m = await resolveTarget(d, spec.target);
      if (!m.running) throw new HarnessError('FAULT_INJECT', `${m.name} is not running: no data to damage`);
      await observeInto(d, 'memberCorruption', `damage ${m.name} (${spec.how}) and start it`, () =>
        observe(d, m, spec.how, spec.corruptCheck),
      );
      const o = d.obs.memberCorruption;
      return {
        description: `${spec.how} on ${m.name}${spec.corruptCheck ? ' (initial corrupt check on)' : ''}`,
        evidence: o
          ? { member: m.name, running: o.running, healthy: o.healthy, ...(o.quote ? { quote: o.quote } : {}) }
          : { member: m.name, error: d.obs.errors?.memberCorruption?.message },
      };
    },
  }),
});
