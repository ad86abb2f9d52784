import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netLeftovers } from '../cluster/netns.ts';
import { runDrill } from '../drill.ts';
import { docker, drillProcesses, labelled, runFolders, scenarioWithFaults } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'fault-abort-'));
afterAll(() => rm(out, { recursive: true, force: true }));

const PROVIDERS = docker ? (['process', 'container'] as const) : (['process'] as const);
if (!docker) console.warn('fault abort: no Docker engine answers; the container provider is not exercised');

/** Four faults at once, each on its own member, all active when the restored cluster is first read. */
const ACTIVE_AT_ONCE = [
  { kind: 'pause', target: 'etcd1', at: { during: 'restored' } },
  { kind: 'partition', target: 'etcd2', at: { during: 'restored' } },
  { kind: 'slow-peer', target: 'etcd3', latencyMs: 100, at: { during: 'restored' } },
  { kind: 'write-load', writers: 2, opsPerSec: 20, at: { during: 'restored' } },
];

const tcpServers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

describe.each(PROVIDERS)('Ctrl-C while faults are active (%s, etcd 3.5.30)', (provider) => {
  it('stops the drill and leaves no process, container, netns, veth, rule, proxy or run folder of ours', async () => {
    const scenarioDir = await scenarioWithFaults(out, 's5-v3-snapshot-all-members', ACTIVE_AT_ONCE);
    const before = runFolders();
    const servers = tcpServers();
    const ac = new AbortController();
    const outcome = await runDrill({
      provider,
      etcd: '3.5.30',
      probes: false,
      out,
      quiet: true,
      scenarioDir,
      scenarios: ['s5-v3-snapshot-all-members'],
      signal: ac.signal,
      // The faults are injected before the phase's body; this seam is its first step: Ctrl-C now.
      afterRestore: async () => ac.abort(new Error('test: Ctrl-C')),
    });
    expect(outcome.run.exitCode).toBe(130);
    const injected = outcome.run.results[0]?.faults.map((f) => f.fault);
    expect(injected).toEqual(expect.arrayContaining(['pause', 'partition', 'slow-peer', 'write-load']));
    expect(drillProcesses()).toHaveLength(0);
    expect(tcpServers()).toBe(servers); // the slow-peer proxy runs in the harness: it is closed
    expect((await labelled()).containers).toHaveLength(0);
    expect((await labelled()).networks).toHaveLength(0);
    const net = await netLeftovers();
    expect(Object.values(net).flat()).toHaveLength(0);
    expect(runFolders()).toEqual(before);
  });
});
