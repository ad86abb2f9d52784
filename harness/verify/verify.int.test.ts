import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatePorts } from '../cluster/ports.ts';
import { type EtcdDist, resolveEtcd } from '../etcd/dist.ts';
import { corruptSnapshots } from '../faults/corrupt-snapshot.ts';
import { silentLogger } from '../log.ts';
import { drillProcesses, runFolders } from '../test-support/helpers.ts';
import { poll } from '../util/poll.ts';
import { runVerify } from './verify.ts';

// A cluster the harness did not make or seed: one etcd started here, written to with plain etcdctl.
interface Obj {
  readonly type: string;
  readonly ns?: string;
  readonly name: string;
  readonly created: string;
}
const OBJECTS: readonly Obj[] = [
  { type: 'namespaces', name: 'team-a', created: '2026-11-01T08:00:00Z' },
  { type: 'pods', ns: 'team-a', name: 'web-1', created: '2026-11-20T09:30:00Z' },
  { type: 'pods', ns: 'team-a', name: 'web-2', created: '2026-11-21T09:30:00Z' },
  { type: 'pods', ns: 'default', name: 'debug', created: '2026-11-22T10:00:00Z' },
  { type: 'configmaps', ns: 'kube-system', name: 'coredns', created: '2026-11-23T11:00:00Z' },
  { type: 'secrets', ns: 'team-a', name: 'token', created: '2026-11-19T07:00:00Z' },
];
const keyOf = (o: Obj) => `/registry/${o.type}/${o.ns ? `${o.ns}/` : ''}${o.name}`;
const jsonOf = (o: Obj) =>
  JSON.stringify({ metadata: { name: o.name, namespace: o.ns, creationTimestamp: o.created } });
// As kube-apiserver stores most types: protobuf behind its magic prefix (no decoder here: not readable).
const PROTOBUF = {
  key: '/registry/leases/kube-system/kube-scheduler',
  value: 'k8s\0\n\x16\n\x16coordination',
};

const bin = fileURLToPath(new URL('../../bin/etcd-drill.js', import.meta.url));
let dist: EtcdDist;
let dir: string;
let etcd: ResultPromise | undefined;
let endpoint: string;
let snapshot: string;
let compactedAt: number;

const ctl = (args: string[], input?: string) =>
  execa(dist.etcdctl, ['--endpoints', endpoint, ...args], {
    env: { ETCDCTL_API: '3' },
    ...(input !== undefined ? { input } : {}),
  });

beforeAll(async () => {
  dist = await resolveEtcd({ version: '3.5.30', log: silentLogger });
  dir = await mkdtemp(join(tmpdir(), 'verify-int-'));
  const [client, peer] = await allocatePorts(2);
  endpoint = `http://127.0.0.1:${client}`;
  etcd = execa(
    dist.etcd,
    [
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peer}`,
    ],
    { reject: false },
  );
  await poll(
    () =>
      ctl(['endpoint', 'health']).then(
        () => true,
        () => false,
      ),
    {
      boundMs: 20_000,
      intervalMs: 200,
      what: 'the test etcd answering',
      done: (ok) => ok,
    },
  );
  for (const o of OBJECTS) await ctl(['put', keyOf(o), jsonOf(o)]);
  await ctl(['put', PROTOBUF.key], PROTOBUF.value); // the value from stdin: argv cannot carry NUL
  const lease = /lease ([0-9a-f]+) granted/.exec((await ctl(['lease', 'grant', '3600'])).stdout)?.[1] ?? '';
  await ctl(['put', '--lease', lease, '/registry/masterleases/10.0.0.1', 'x']);
  // Compacted short of the newest revision: a compact revision that is neither 0 nor the revision.
  compactedAt = Number(JSON.parse((await ctl(['get', 'x', '-w', 'json'])).stdout).header.revision) - 1;
  await ctl(['compact', String(compactedAt)]);
  snapshot = join(dir, 'snapshot.db');
  await ctl(['snapshot', 'save', snapshot]);
}, 120_000);

afterAll(async () => {
  etcd?.kill('SIGTERM');
  await etcd;
  await rm(dir, { recursive: true, force: true });
});

/** Nothing of a verify run left: no run folder, no etcd under the work root. */
function expectNothingLeft(before: readonly string[]) {
  expect(runFolders().filter((f) => !before.includes(f))).toEqual([]);
  expect(drillProcesses()).toEqual([]);
}

const expectedByType = () => {
  const out: Record<string, number> = {};
  for (const k of [...OBJECTS.map(keyOf), PROTOBUF.key, '/registry/masterleases/10.0.0.1']) {
    const t = k.split('/')[2] ?? '';
    out[t] = (out[t] ?? 0) + 1;
  }
  return out;
};

describe('verify a snapshot the harness did not make', () => {
  it('restores it and counts what the test wrote, per type and namespace', async () => {
    const before = runFolders();
    const out = await mkdtemp(join(dir, 'out-'));
    const bytes = await readFile(snapshot);
    // No --etcd: the db records 3.5.0, so the newest provided 3.5 restores it.
    const { result, reportDir } = await runVerify({ path: snapshot, out, quiet: true });
    // The members restore it where it lies (processes), without a second hash pass, leaving it as it was.
    expect(result.restore?.how).toMatch(/--skip-hash-check \(its sha256 trailer matched/);
    expect((await readFile(snapshot)).equals(bytes)).toBe(true);
    expect(result.verdict).toBe('restorable');
    expect(result.exitCode).toBe(0);
    expect(result.integrity.sha256Trailer).toMatchObject({ present: true, ok: true });
    expect(result.integrity.recordedClusterVersion).toBe('3.5.0');
    expect(result.restore).toMatchObject({ etcd: '3.5.30', etcdChosen: 'recorded' });
    expect(result.contents?.byType).toEqual(expectedByType());
    const inTeamA = OBJECTS.filter((o) => o.ns === 'team-a').length;
    expect(result.contents?.byNamespace['team-a']).toBe(inTeamA);
    expect(result.contents?.encoding.protobuf).toBe(1);
    const newest = OBJECTS.map((o) => o.created)
      .sort()
      .at(-1);
    expect(result.contents?.newest.creationTimestamp).toBe(newest);
    const status = result.integrity.status;
    expect(status?.ok && status.figures.revision).toBe(result.restore?.revision);
    expect(result.restore).toMatchObject({ ok: true, members: 3, compactRevision: compactedAt, leases: 1 });
    expect((await readdir(reportDir)).sort()).toEqual(['summary.md', 'verify.json', 'verify.log']);
    expectNothingLeft(before);
  });

  it('says a truncated or bit-flipped copy is damaged, in etcd words, leaving nothing', async () => {
    for (const how of ['truncate', 'flip-bytes'] as const) {
      const before = runFolders();
      const copy = join(dir, `${how}.db`);
      await copyFile(snapshot, copy);
      await corruptSnapshots([copy], { how });
      const out = await mkdtemp(join(dir, 'out-'));
      const { result } = await runVerify({ path: copy, etcd: '3.5.30', out, quiet: true });
      expect(result.verdict, how).toBe('damaged');
      expect(result.exitCode).toBe(1);
      expect(result.restore).toBeUndefined(); // refused before a member started
      expect(result.reason).toMatch(/snapshot status refused it|expected sha256/);
      expectNothingLeft(before);
    }
  });

  it('--against names the key that differs from the live cluster', async () => {
    await ctl(['put', '/registry/configmaps/kube-system/coredns', '{"changed":true}']);
    await ctl(['put', '/registry/pods/team-a/web-3', '{}']);
    const out = await mkdtemp(join(dir, 'out-'));
    const { result } = await runVerify({
      path: snapshot,
      etcd: '3.5.30',
      size: 1,
      against: endpoint,
      out,
      quiet: true,
    });
    expect(result.against).toMatchObject({
      changed: 1,
      firstChanged: ['/registry/configmaps/kube-system/coredns'],
      extra: 1,
      firstExtra: ['/registry/pods/team-a/web-3'],
      missing: 0,
    });
  });
});

describe('verify on the command line', () => {
  it('a missing file: one line, exit 2, no report folder', async () => {
    const out = join(dir, 'cli-out');
    await mkdir(out);
    const r = await execa('node', [bin, 'verify', join(dir, 'nope.db'), '--out', out], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nope\.db does not exist/);
    expect(existsSync(out) && (await readdir(out))).toEqual([]);
  });
});
