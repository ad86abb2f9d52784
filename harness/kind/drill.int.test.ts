/**
 * Drills on kind (issue 14, part 3): the members are the etcd static pods of three kubeadm
 * control-plane nodes, stopped and started through their manifests. Slow: a cluster per drill,
 * ~2 min each on 2 cores (`npm run test:kind`; the images are built by `fetch --kind` before it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../drill.ts';
import { K8S_STAGE_CHECKS } from '../k8s/check-names.ts';
import type { ScenarioResult } from '../result.ts';
import { docker } from '../test-support/helpers.ts';

const ETCD = '3.5.30';
const SCENARIOS = ['s1-v3-snapshot-restore', 's5-v3-snapshot-all-members', 's6-v3-snapshot-bump-revision'];
const out = await mkdtemp(join(tmpdir(), 'kind-drill-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe(`drills on kind: S1, the official restore and bump-revision on etcd ${ETCD}`, () => {
  let results: readonly ScenarioResult[] = [];
  let runId = '';
  let workDir = '';

  beforeAll(async () => {
    if (!docker) throw new Error('kind needs a Docker engine and none answers: as root, bash ci/docker.sh');
    const d = await runDrill({ scenarios: SCENARIOS, provider: 'kind', etcd: ETCD, out, quiet: true });
    results = d.run.results;
    // The report folder goes with the test: its summary stays in the log, for the README's table.
    console.log(d.summary);
    runId = d.run.runId;
    workDir = d.workDir;
  }, 1_800_000);

  it.each(SCENARIOS)(
    '%s: a definite answer for every check, the workload back on the three nodes, v2 lost',
    (id) => {
      const r = results.find((x) => x.scenarioId === id);
      expect(r?.error).toBeUndefined();
      const o = r?.observations;
      expect(o?.backupPoint?.v2.count).toBe(7);
      // The workload's objects only: kind's own (leases, events, nodes) are rewritten all along.
      expect(o?.backupPoint?.v3.count).toBeGreaterThan(20);
      // The members are kubeadm's: named after their nodes, three of them.
      const names = o?.restored?.membership.members.map((m) => m.name) ?? [];
      expect(names).toHaveLength(3);
      expect(names.every((n) => /^etcd-drill-.*-control-plane\d?$/.test(n))).toBe(true);
      expect(r?.checks.find((c) => c.id === 'v2-data')?.observed).toBe('lost');
      expect(r?.checks.find((c) => c.id === 'membership')?.observed).toBe('healthy');
      // The control plane's checks and the kubelets', each with a definite answer in both modes.
      expect(o?.k8s?.checks.map((c) => c.check)).toEqual([...K8S_STAGE_CHECKS]);
      expect(r?.extensions).toContain('kind');
      expect(r?.checks.filter((c) => c.verdict === 'unknown').map((c) => `${c.id}: ${c.error}`)).toEqual([]);
    },
  );

  it('leaves no kind cluster, node container, network or run folder behind', async () => {
    const nodes = await execa('docker', ['ps', '-aq', '--filter', `label=etcd-drill.run=${runId}`]);
    expect(nodes.stdout.trim()).toBe('');
    const kindNodes = await execa('docker', ['ps', '-a', '--format', '{{.Names}}']);
    expect(kindNodes.stdout.split('\n').filter((n) => n.includes(runId.toLowerCase()))).toEqual([]);
    const nets = await execa('docker', ['network', 'ls', '--format', '{{.Name}}']);
    expect(nets.stdout.split('\n').filter((n) => n.includes(runId.toLowerCase()))).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  });
});
